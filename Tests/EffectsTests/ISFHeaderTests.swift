@testable import Effects
import EmpathyCore
import XCTest

final class ISFHeaderTests: XCTestCase {
    func testHeaderTableAcceptsAndRejects() throws {
        let accepted: [(String, (ISFHeader) -> Bool)] = [
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"}]}"#, { $0.hasInputImage && $0.passes.count == 1 }),
            (#"{"INPUTS":[{"NAME":"amount","TYPE":"float","DEFAULT":0.5,"MIN":0,"MAX":1}]}"#,
             { $0.inputs[0].defaultValue == [0.5] && $0.inputs[0].maximum == [1] }),
            (#"{"INPUTS":[{"NAME":"tint","TYPE":"color","DEFAULT":[1,0,0,1]}]}"#, { $0.inputs[0].defaultValue.count == 4 }),
            (#"{"INPUTS":[{"NAME":"on","TYPE":"bool","DEFAULT":true}]}"#, { $0.inputs[0].defaultValue == [1] }),
            (#"{"PASSES":[{"TARGET":"buf","PERSISTENT":true},{}]}"#,
             { $0.persistentTargets == ["buf"] && $0.feedbackResetFrames == ISFHeader.defaultFeedbackResetFrames }),
            (#"{"PASSES":[{"TARGET":"buf","PERSISTENT":true},{}],"RESET_INTERVAL":5}"#, { $0.feedbackResetFrames == 5 }),
            (#"{"PASSES":[{"TARGET":"a"},{"TARGET":"b"}]}"#, { $0.passes[1].target == nil }),
            (#"{"DESCRIPTION":"x","UNKNOWN_KEY":1}"#, { $0.description == "x" }),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"},{"NAME":"amount","TYPE":"float"}],"IDENTITY_WHEN_ZERO":["amount"]}"#,
             { $0.identityWhenZero == ["amount"] }),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"}]}"#, { $0.identityWhenZero.isEmpty }),
        ]
        for (json, check) in accepted {
            let header = try ISFHeader.parse(json: json, path: "t.fs")
            XCTAssertTrue(check(header), "accepted but wrong: \(json)")
        }
        let rejected: [(String, String)] = [
            (#"{"INPUTS":[{"NAME":"x" "TYPE":"float"}]}"#, "not valid JSON"),
            (#"[1,2]"#, "expected a JSON object"),
            (#"{"INPUTS":[{"TYPE":"float"}]}"#, "INPUTS[0] has no NAME"),
            (#"{"INPUTS":[{"NAME":"a b","TYPE":"float"}]}"#, "not a GLSL identifier"),
            (#"{"INPUTS":[{"NAME":"x","TYPE":"vec3"}]}"#, "TYPE 'vec3'"),
            (#"{"INPUTS":[{"NAME":"x","TYPE":"float","DEFAULT":2,"MIN":0,"MAX":1}]}"#, "outside MIN"),
            (#"{"INPUTS":[{"NAME":"x","TYPE":"float","MIN":1,"MAX":0}]}"#, "MIN 1.0 is above MAX"),
            (#"{"INPUTS":[{"NAME":"x","TYPE":"color","DEFAULT":[1,0]}]}"#, "takes 4"),
            (#"{"INPUTS":[{"NAME":"x","TYPE":"float"},{"NAME":"x","TYPE":"float"}]}"#, "declared twice"),
            (#"{"INPUTS":[{"NAME":"arousal","TYPE":"float"}]}"#, "built-in uniform"),
            (#"{"PASSES":[{"PERSISTENT":true},{}]}"#, "no TARGET"),
            (#"{"PASSES":[{"TARGET":"a"},{"TARGET":"a"},{}]}"#, "written by an earlier pass"),
            (#"{"PASSES":[{"TARGET":"a","WIDTH":"$WIDTH/2"},{}]}"#, "WIDTH"),
            (#"{"PASSES":[{"TARGET":"a","PERSISTENT":true,"FLOAT":true}]}"#, "cannot be FLOAT"),
            (#"{"IMPORTED":{"x":{"PATH":"a.png"}}}"#, "IMPORTED"),
            (#"{"PASSES":[{"TARGET":"a","PERSISTENT":true},{}],"RESET_INTERVAL":0}"#, "RESET_INTERVAL"),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"}],"IDENTITY_WHEN_ZERO":["nope"]}"#, "IDENTITY_WHEN_ZERO"),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"},{"NAME":"on","TYPE":"bool"}],"IDENTITY_WHEN_ZERO":["on"]}"#, "float inputs"),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"},{"NAME":"a","TYPE":"float"}],"IDENTITY_WHEN_ZERO":[]}"#, "IDENTITY_WHEN_ZERO"),
            (#"{"INPUTS":[{"NAME":"inputImage","TYPE":"image"},{"NAME":"a","TYPE":"float"}],"PASSES":[{"TARGET":"b"},{}],"IDENTITY_WHEN_ZERO":["a"]}"#,
             "single-pass"),
        ]
        for (json, expected) in rejected {
            XCTAssertThrowsError(try ISFHeader.parse(json: json, path: "shaders/t.fs"), json) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(expected), "'\(message)' should contain '\(expected)'")
                XCTAssertTrue(message.contains("shaders/t.fs"), "'\(message)' should name the file")
            }
        }
    }

    func testShaderWithoutHeaderIsRejected() {
        XCTAssertThrowsError(try ISFShader.parse("void main() {}", path: "plain.frag")) { error in
            XCTAssertTrue("\(error)".contains("no ISF header"), "\(error)")
        }
    }

    func testEveryShippedPassAndExampleParses() throws {
        let fm = FileManager.default
        var count = 0
        for folder in ["passes", "isf"] {
            let dir = TestFrames.shaders.appendingPathComponent(folder)
            for file in try fm.contentsOfDirectory(atPath: dir.path) {
                let shader = try ISFShader.load(dir.appendingPathComponent(file))
                XCTAssertTrue(shader.header.hasInputImage, file)
                count += 1
            }
        }
        XCTAssertGreaterThanOrEqual(count, 5)
    }
}
