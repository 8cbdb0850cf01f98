// Beat detection for an analog pulse (PPG) sensor, sampled at a fixed rate.
//
// Plain C++ with no Arduino dependency, so the same code runs on the Uno and
// can be compiled on a host. Integer arithmetic only (the ATmega328P has no
// FPU); all times are in sample ticks or milliseconds as named.
//
// Method (per sample, 500 Hz):
//  1. Smooth: s = x[n] + x[n-1] + x[n-2] + x[n-3] (4-tap box filter, 0..4092).
//     Its group delay is 1.5 samples = 3 ms, removed from every beat time.
//  2. A pulse starts when s rises above the threshold (half-way between the
//     previous pulse's trough and peak, or the mid-point of the 1 s envelope
//     while no pulse has been seen) outside the refractory period
//     (IBI/2 after the previous beat, kept within 250-400 ms).
//  3. The pulse ends 40 ms after its maximum, or when s falls a quarter of the
//     way back from the peak. Then the beat time is the moment the upstroke
//     crossed half-way between this pulse's own trough and peak
//     ("50 % of the upstroke", the fiducial point the simulator's truth uses),
//     found in a 256 ms history and linearly interpolated between samples.
//     Using this pulse's own trough and peak makes the time independent of
//     slow amplitude and baseline changes (breathing). A pulse whose crossing
//     sample rises by more than 1/8 of its height is a step (finger put down,
//     sensor knocked), not a beat: dropped, and the next beat has no IBI.
//  4. No contact: the envelope (max - min of s over the last 1-2 s) is below
//     kMinContactAmplitude, the raw signal sits at a rail, or no beat came for
//     3 s. Losing contact forgets the previous beat, so the next beat reports
//     IBI 0 (unknown) instead of an interval spanning the gap.
#pragma once
#include <stdint.h>

class PulseDetector {
public:
    static const uint16_t kSampleRateHz = 500;
    static const uint16_t kSampleIntervalMs = 2;
    /// Envelope (in smoothed units, 4 x ADC counts) below which there is no finger.
    static const uint16_t kMinContactAmplitude = 60;
    /// Longest silence, in ms, before contact is declared lost.
    static const uint16_t kMaxBeatGapMs = 3000;

    struct Beat {
        uint32_t timeMs;            // device clock: ms since sampling started
        uint16_t interBeatIntervalMs; // 0 when the previous beat is unknown
        uint16_t amplitude;         // peak - trough, ADC counts
    };

    PulseDetector();

    /// Feeds one raw 10-bit ADC sample. Returns true when a beat completed;
    /// it is then stored in `beat`.
    bool addSample(uint16_t adc, Beat &beat);

    bool hasContact() const { return contact_; }
    /// Envelope amplitude in ADC counts (max - min over the last 1-2 s).
    uint16_t envelopeAmplitude() const;
    uint32_t sampleCount() const { return n_; }
    uint32_t nowMs() const { return n_ * kSampleIntervalMs; }

private:
    enum State : uint8_t { kSeekRise, kInPulse };
    static const uint8_t kHistoryLength = 128;   // 256 ms of smoothed samples
    static const uint16_t kEnvelopeBlock = 500;  // 1 s blocks

    uint16_t raw_[4];
    uint16_t history_[kHistoryLength];
    uint32_t n_;                 // samples seen
    State state_;
    uint16_t threshold_;
    bool thresholdFromPulse_;
    uint16_t troughValue_, peakValue_;
    uint32_t troughIndex_, peakIndex_;
    uint32_t lastBeatIndex_;     // sample of the previous detection
    uint32_t lastBeatTimeQ_;     // previous beat time, ms x 16
    bool haveLastBeat_;
    uint16_t lastIntervalMs_;
    bool contact_;
    uint16_t blockMax_, blockMin_, prevBlockMax_, prevBlockMin_;
    uint16_t blockCount_;
    uint16_t railCount_;

    void loseContact();
    bool finishPulse(Beat &beat);
};
