/*
 * pulse-sim: runs the real empathy_pulse firmware (.elf) on a simulated
 * ATmega328P (simavr 1.6) with a synthetic pulse (PPG) waveform on ADC0 and
 * the UART bridged to a pseudo-terminal, so the host reads it like a board.
 *
 *   pulse-sim --elf build-uno/empathy_pulse.elf --link /tmp/x/tty \
 *             --truth /tmp/x/truth.csv --bpm 75 --duration-s 30
 *
 * Time: "device time" t = 0 at the firmware's first ADC conversion, which is
 * its sample 0 (its clock reads 2 ms per sample from there). The waveform is
 * evaluated at the simulated time of each conversion, so the truth file's
 * beat times are on the firmware's own clock; first_sample_sim_s in its
 * header converts to simulated time since reset.
 *
 * Inter-beat intervals (seconds), beat k at t_k, t_{k+1} = t_k + IBI_k:
 *   IBI_k = 60/bpm + rsa * sin(2 pi t_k / breath) + N(0, jitter^2)
 * (respiratory sinus arrhythmia plus jitter). Options add ectopic beats
 * (premature: 0.65 x IBI, 0.7 x amplitude, then a compensatory pause so the
 * pair sums to 2 IBIs), missed beats (0.1 x the rise from the same foot: too
 * small to detect) and
 * a contact-loss window (flat 150 mV signal).
 *
 * Waveform (mV) around beat k, amplitude A_k = 900 (1 + 0.1 sin(2 pi t/breath)),
 * baseline B(t) = 2300 + 40 sin(2 pi t/breath + 1), foot F_k = B(t_k) - 0.4 A_k:
 *   upstroke  t in [t_k - R/2, t_k + R/2], R = min(100 ms, 0.3 IBI):
 *             v = F_k + A_k (1 - cos(pi x)) / 2,  x = (t - t_k + R/2) / R
 *   decay     to the next foot: v = F_{k+1} + (F_k + A_k - F_{k+1}) g(u),
 *             g(u) = (1 - u) (exp(-2.5 u) + 0.12 exp(-((u - 0.35) / 0.08)^2))
 *             (the bump is the dicrotic wave)
 * plus Gaussian noise. The trough is at the foot and the peak at the top of
 * the upstroke, so t_k is exactly where the upstroke crosses half-way between
 * them: the fiducial point the firmware reports.
 *
 * Simulation runs as fast as the host allows (the firmware's idle sleep is not
 * turned into real sleeping; about 50x real time here) unless --realtime is
 * given, but pauses while more than 1 KiB waits unread in the pty, so no
 * byte is lost and a reader that opens late finds the banner. At the end it waits
 * (up to --drain-s) until the reader has taken every byte, then exits, which
 * hangs up the pty like an unplugged board.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sim_avr.h"
#include "sim_elf.h"
#include "avr_adc.h"
#include "avr_uart.h"
#include "parts/uart_pty.h"

#define MAX_BEATS 20000
#define CPU_HZ 16000000.0

enum beat_kind { BEAT_NORMAL = 0, BEAT_ECTOPIC = 1, BEAT_MISSED = 2, BEAT_NO_CONTACT = 3 };
static const char *kind_names[] = { "normal", "ectopic", "missed", "no-contact" };

typedef struct {
    double time_s;        /* device time of the 50 % upstroke point */
    double amplitude_mv;
    double foot_mv;
    int kind;
} beat_t;

static struct {
    double bpm, rsa_s, breath_s, jitter_s, noise_mv, duration_s, drain_s;
    double loss_start_s, loss_duration_s;
    double ramp_bpm, ramp_start_s, ramp_end_s;  /* --ramp-to: mean rate moves linearly to ramp_bpm */
    int ectopic_every, missed_every, realtime;
    unsigned seed;
    const char *elf, *link, *truth;
} opt = { 75, 0.04, 4.0, 0.012, 5.0, 30, 5, -1, 0, 0, 0, 0, 0, 0, 0, 1, NULL, NULL, NULL };

static beat_t beats[MAX_BEATS];
static int beat_count;
static avr_t *avr;
static avr_irq_t *adc_irq;
static avr_cycle_count_t first_cycle;
static int have_first;
static volatile sig_atomic_t stop_requested;
static uint64_t rng_state;

static double uniform01(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double gaussian(void) {
    return sqrt(-2.0 * log(uniform01())) * cos(2.0 * M_PI * uniform01());
}

static double breathing(double t) { return sin(2.0 * M_PI * t / opt.breath_s); }
static double baseline_mv(double t) { return 2300.0 + 40.0 * sin(2.0 * M_PI * t / opt.breath_s + 1.0); }
static int in_contact_loss(double t) {
    return opt.loss_duration_s > 0 && t >= opt.loss_start_s && t < opt.loss_start_s + opt.loss_duration_s;
}

/* The mean heart rate at time t: opt.bpm, or with --ramp-to a linear ramp
 * from opt.bpm at ramp_start_s to ramp_bpm at ramp_end_s (held after). */
static double bpm_at(double t) {
    if (opt.ramp_bpm <= 0 || t <= opt.ramp_start_s) return opt.bpm;
    if (t >= opt.ramp_end_s) return opt.ramp_bpm;
    return opt.bpm + (opt.ramp_bpm - opt.bpm) * (t - opt.ramp_start_s) / (opt.ramp_end_s - opt.ramp_start_s);
}

static void make_beats(void) {
    double t = 0.4;
    int pending_compensation = 0;
    double compensation = 0;
    for (beat_count = 0; beat_count < MAX_BEATS && t < opt.duration_s + 3.0; beat_count++) {
        beat_t *b = &beats[beat_count];
        b->time_s = t;
        b->kind = BEAT_NORMAL;
        b->amplitude_mv = 900.0 * (1.0 + 0.1 * breathing(t));
        int n = beat_count + 1;
        double mean = 60.0 / bpm_at(t);
        double ibi = mean + opt.rsa_s * breathing(t) + opt.jitter_s * gaussian();
        if (pending_compensation) {
            ibi = compensation;
            pending_compensation = 0;
        } else if (opt.ectopic_every > 0 && n % opt.ectopic_every == 0 && beat_count > 0) {
            /* this beat came early: move it, keep the next on the normal grid */
            double prev = beats[beat_count - 1].time_s;
            double normal = t - prev;
            b->time_s = prev + 0.65 * normal;
            b->kind = BEAT_ECTOPIC;
            b->amplitude_mv *= 0.7;
            compensation = 2.0 * normal - 0.65 * normal;
            ibi = compensation;
        }
        b->foot_mv = baseline_mv(b->time_s) - 0.4 * b->amplitude_mv;
        if (opt.missed_every > 0 && n % opt.missed_every == 0 && b->kind == BEAT_NORMAL) {
            /* the same foot, a tenth of the rise: far under the half-way threshold */
            b->kind = BEAT_MISSED;
            b->amplitude_mv *= 0.1;
        }
        if (in_contact_loss(b->time_s)) b->kind = BEAT_NO_CONTACT;
        t = b->time_s + ibi;
    }
}

/* The waveform before noise, in millivolts, at device time t. */
static double waveform_mv(double t) {
    if (in_contact_loss(t)) return 150.0;
    static int k = 0;  /* beats are visited in time order; search from the last one */
    while (k + 1 < beat_count && t >= beats[k + 1].time_s - 0.05) k++;
    while (k > 0 && t < beats[k].time_s - 0.05) k--;
    const beat_t *b = &beats[k];
    double next_time = k + 1 < beat_count ? beats[k + 1].time_s : b->time_s + 60.0 / opt.bpm;
    double rise = fmin(0.100, 0.3 * (next_time - b->time_s));
    double start = b->time_s - rise / 2, top = b->time_s + rise / 2;
    if (t < start) {
        /* before the first beat's upstroke: sit at its foot */
        return b->foot_mv;
    }
    if (t <= top) {
        double x = (t - start) / rise;
        return b->foot_mv + b->amplitude_mv * (1.0 - cos(M_PI * x)) / 2.0;
    }
    double next_foot = k + 1 < beat_count ? beats[k + 1].foot_mv : b->foot_mv;
    double next_rise = k + 1 < beat_count && k + 2 < beat_count
        ? fmin(0.100, 0.3 * (beats[k + 2].time_s - beats[k + 1].time_s)) : rise;
    double end = next_time - next_rise / 2;
    double u = (t - top) / (end - top);
    if (u > 1) u = 1;
    double g = (1 - u) * (exp(-2.5 * u) + 0.12 * exp(-pow((u - 0.35) / 0.08, 2)));
    return next_foot + (b->foot_mv + b->amplitude_mv - next_foot) * g;
}

static void adc_trigger_hook(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq; (void)param;
    avr_adc_mux_t mux;
    memcpy(&mux, &value, sizeof(mux) < sizeof(value) ? sizeof(mux) : sizeof(value));
    if (!have_first) { first_cycle = avr->cycle; have_first = 1; }
    double t = (double)(avr->cycle - first_cycle) / CPU_HZ;
    double mv = waveform_mv(t) + opt.noise_mv * gaussian();
    if (mv < 0) mv = 0;
    if (mv > 5000) mv = 5000;
    avr_raise_irq(adc_irq + ADC_IRQ_ADC0, (uint32_t)lround(mv));
}

static void no_sleep(avr_t *a, avr_cycle_count_t how_long) { (void)a; (void)how_long; }

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int write_truth(void) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", opt.truth, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) { fprintf(stderr, "pulse-sim: cannot write truth file '%s': %s\n", tmp, strerror(errno)); return -1; }
    fprintf(f, "# pulse-sim truth: beat times on the device clock (first ADC sample = 0)\n");
    fprintf(f, "# bpm=%g rsa_ms=%g breath_s=%g jitter_ms=%g noise_mv=%g seed=%u duration_s=%g\n",
            opt.bpm, opt.rsa_s * 1000, opt.breath_s, opt.jitter_s * 1000, opt.noise_mv, opt.seed, opt.duration_s);
    fprintf(f, "index,time_s,amplitude_mv,kind\n");
    for (int i = 0; i < beat_count; i++) {
        if (beats[i].time_s > opt.duration_s) break;
        fprintf(f, "%d,%.6f,%.1f,%s\n", i, beats[i].time_s, beats[i].amplitude_mv, kind_names[beats[i].kind]);
    }
    if (fclose(f) != 0 || rename(tmp, opt.truth) != 0) {
        fprintf(stderr, "pulse-sim: cannot write truth file '%s': %s\n", opt.truth, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void usage(void) {
    fprintf(stderr,
        "usage: pulse-sim --elf FIRMWARE.elf --link PATH [--truth FILE.csv] [--bpm 75]\n"
        "       [--rsa-ms 40] [--breath-s 4] [--jitter-ms 12] [--noise-mv 5] [--seed 1]\n"
        "       [--duration-s 30] [--contact-loss START_S,DURATION_S] [--ectopic-every N]\n"
        "       [--missed-every N] [--realtime] [--drain-s 5] [--ramp-to BPM,START_S,END_S]\n");
}

static double parse_number(const char *name, const char *text, double lo, double hi) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "pulse-sim: --%s '%s' is not a number in [%g, %g]\n", name, text, lo, hi);
        exit(64);
    }
    return v;
}

int main(int argc, char **argv) {
    static struct option longopts[] = {
        {"elf", 1, 0, 'e'}, {"link", 1, 0, 'l'}, {"truth", 1, 0, 't'}, {"bpm", 1, 0, 'b'},
        {"rsa-ms", 1, 0, 'r'}, {"breath-s", 1, 0, 'B'}, {"jitter-ms", 1, 0, 'j'},
        {"noise-mv", 1, 0, 'n'}, {"seed", 1, 0, 's'}, {"duration-s", 1, 0, 'd'},
        {"contact-loss", 1, 0, 'c'}, {"ectopic-every", 1, 0, 'E'}, {"missed-every", 1, 0, 'M'},
        {"realtime", 0, 0, 'R'}, {"drain-s", 1, 0, 'D'}, {"ramp-to", 1, 0, 'T'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': opt.elf = optarg; break;
        case 'l': opt.link = optarg; break;
        case 't': opt.truth = optarg; break;
        case 'b': opt.bpm = parse_number("bpm", optarg, 30, 220); break;
        case 'r': opt.rsa_s = parse_number("rsa-ms", optarg, 0, 300) / 1000; break;
        case 'B': opt.breath_s = parse_number("breath-s", optarg, 1, 30); break;
        case 'j': opt.jitter_s = parse_number("jitter-ms", optarg, 0, 200) / 1000; break;
        case 'n': opt.noise_mv = parse_number("noise-mv", optarg, 0, 500); break;
        case 's': opt.seed = (unsigned)parse_number("seed", optarg, 0, 4e9); break;
        case 'd': opt.duration_s = parse_number("duration-s", optarg, 0.1, 86400); break;
        case 'c':
            if (sscanf(optarg, "%lf,%lf", &opt.loss_start_s, &opt.loss_duration_s) != 2) {
                fprintf(stderr, "pulse-sim: --contact-loss '%s' must be START_S,DURATION_S\n", optarg);
                return 64;
            }
            break;
        case 'E': opt.ectopic_every = (int)parse_number("ectopic-every", optarg, 2, 1e6); break;
        case 'M': opt.missed_every = (int)parse_number("missed-every", optarg, 2, 1e6); break;
        case 'R': opt.realtime = 1; break;
        case 'D': opt.drain_s = parse_number("drain-s", optarg, 0, 600); break;
        case 'T':
            if (sscanf(optarg, "%lf,%lf,%lf", &opt.ramp_bpm, &opt.ramp_start_s, &opt.ramp_end_s) != 3 ||
                opt.ramp_bpm < 30 || opt.ramp_bpm > 220 || !(opt.ramp_end_s > opt.ramp_start_s)) {
                fprintf(stderr, "pulse-sim: --ramp-to '%s' must be BPM,START_S,END_S (BPM 30-220, END_S after START_S)\n", optarg);
                return 64;
            }
            break;
        default: usage(); return c == 'h' ? 0 : 64;
        }
    }
    if (!opt.elf || !opt.link) { usage(); return 64; }
    rng_state = 0x9E3779B97F4A7C15ull ^ ((uint64_t)opt.seed * 0x100000001B3ull);
    if (rng_state == 0) rng_state = 1;
    make_beats();
    if (opt.truth && write_truth() != 0) return 1;

    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (access(opt.elf, R_OK) != 0 || elf_read_firmware(opt.elf, &fw) != 0) {
        fprintf(stderr, "pulse-sim: cannot load firmware '%s': build it with `make -C firmware`\n", opt.elf);
        return 1;
    }
    /* Arduino ELFs carry no .mmcu section: say what the board is. */
    strcpy(fw.mmcu, "atmega328p");
    fw.frequency = (uint32_t)CPU_HZ;
    fw.vcc = fw.avcc = fw.aref = 5000;
    avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr) { fprintf(stderr, "pulse-sim: simavr does not know atmega328p\n"); return 1; }
    avr_init(avr);
    avr_load_firmware(avr, &fw);
    if (!opt.realtime) avr->sleep = no_sleep;

    adc_irq = avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, 0);
    avr_irq_register_notify(adc_irq + ADC_IRQ_OUT_TRIGGER, adc_trigger_hook, NULL);

    static uart_pty_t pty;
    uart_pty_init(avr, &pty);
    uart_pty_connect(&pty, '0');
    /* Raw mode on the slave side too, so nothing is echoed back into the AVR
       before a reader configures the port; keep it open so bytes queue. */
    int slave = open(pty.port[0].slavename, O_RDWR | O_NOCTTY);
    if (slave >= 0) {
        struct termios tio;
        if (tcgetattr(slave, &tio) == 0) { cfmakeraw(&tio); tcsetattr(slave, TCSANOW, &tio); }
    }
    char tmp_link[4096];
    snprintf(tmp_link, sizeof tmp_link, "%s.tmp.%d", opt.link, (int)getpid());
    unlink(tmp_link);
    if (symlink(pty.port[0].slavename, tmp_link) != 0 || rename(tmp_link, opt.link) != 0) {
        fprintf(stderr, "pulse-sim: cannot link '%s' to %s: %s\n", opt.link, pty.port[0].slavename, strerror(errno));
        return 1;
    }
    fprintf(stderr, "pulse-sim: firmware on %s (linked at %s), %g BPM, %g s\n",
            pty.port[0].slavename, opt.link, opt.bpm, opt.duration_s);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    avr_cycle_count_t end_cycle = (avr_cycle_count_t)((opt.duration_s + 0.05) * CPU_HZ);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    avr_cycle_count_t next_check = 0;
    int state = cpu_Running;
    while (!stop_requested) {
        state = avr_run(avr);
        if (state == cpu_Done || state == cpu_Crashed) break;
        if (avr->cycle >= next_check) {
            next_check = avr->cycle + (avr_cycle_count_t)(0.005 * CPU_HZ);
            double device_s = have_first ? (double)(avr->cycle - first_cycle) / CPU_HZ : 0;
            if (device_s >= opt.duration_s) break;
            /* Back-pressure: a board's bytes wait in the tty until read; here
               the simulation waits while more than 1 KiB is unread (or while
               no reader has opened the port yet), so nothing is lost. */
            int queued = 0;
            while (!stop_requested && slave >= 0 && ioctl(slave, TIOCINQ, &queued) == 0 && queued > 1024)
                usleep(1000);
            if (opt.realtime) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                double wall = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
                double ahead = (double)avr->cycle / CPU_HZ - wall;
                if (ahead > 0.002) usleep((useconds_t)(ahead * 1e6));
            }
        }
        if (avr->cycle > end_cycle + (avr_cycle_count_t)(10 * CPU_HZ)) break;
    }
    if (state == cpu_Crashed) fprintf(stderr, "pulse-sim: the firmware crashed at cycle %llu\n", (unsigned long long)avr->cycle);
    double first_s = (double)first_cycle / CPU_HZ;
    fprintf(stderr, "pulse-sim: stopped at %.3f s simulated (first sample at %.6f s)\n",
            (double)avr->cycle / CPU_HZ, first_s);

    /* Let the reader take what is queued before hanging up. */
    if (!stop_requested && slave >= 0) {
        for (int waited_ms = 0; waited_ms < opt.drain_s * 1000; waited_ms += 10) {
            int queued = 0;
            if (ioctl(slave, TIOCINQ, &queued) != 0) break;
            if (queued == 0 && pty.port[0].in.read == pty.port[0].in.write) break;
            usleep(10000);
        }
        usleep(50000);
    }
    unlink(opt.link);
    return state == cpu_Crashed ? 2 : 0;
}
