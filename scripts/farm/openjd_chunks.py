#!/usr/bin/env python3
"""The chunks a job template's step hands out, as OpenJD's own model computes them.

    .venv-tools/bin/python scripts/farm/openjd_chunks.py TEMPLATE STEP NAME=VALUE ...

Prints one JSON object: {"step": STEP, "chunks": ["1-100", "101-200", ...]},
the values of the step's CHUNK[INT] task parameter in task order, from
openjd-model's StepParameterSpaceIterator (the code a scheduler uses), so a
test can check them against the renderer's own reading of --frames. Any
error: one line on stderr naming the template, exit 2.
"""
import json
import sys
from pathlib import Path


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: openjd_chunks.py TEMPLATE STEP NAME=VALUE ...")
    template_path, step_name = Path(sys.argv[1]).resolve(), sys.argv[2]
    values = dict(arg.split("=", 1) for arg in sys.argv[3:])
    try:
        import yaml
        from openjd.model import (create_job, decode_job_template, preprocess_job_parameters,
                                  StepParameterSpaceIterator)
        template = decode_job_template(template=yaml.safe_load(template_path.read_text()),
                                       supported_extensions=["TASK_CHUNKING"])
        parameters = preprocess_job_parameters(job_template=template, job_parameter_values=values,
                                               job_template_dir=template_path.parent, current_working_dir=Path.cwd())
        job = create_job(job_template=template, job_parameter_values=parameters)
        step = next(s for s in job.steps if s.name == step_name)
        iterator = StepParameterSpaceIterator(space=step.parameterSpace)
        chunks = [str(next(iter(task.values())).value) for task in iterator]
    except StopIteration:
        print(f"openjd_chunks: {template_path}: no step '{step_name}'", file=sys.stderr)
        sys.exit(2)
    except Exception as error:  # one line for any failure of the model
        print(f"openjd_chunks: {template_path}: {type(error).__name__}: {error}".replace("\n", " "), file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"step": step_name, "chunks": chunks}))


if __name__ == "__main__":
    main()
