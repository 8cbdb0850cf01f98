#include "PulseDetector.h"

PulseDetector::PulseDetector()
    : n_(0), state_(kSeekRise), threshold_(2048), thresholdFromPulse_(false),
      troughValue_(0xFFFF), peakValue_(0), troughIndex_(0), peakIndex_(0),
      lastBeatIndex_(0), lastBeatTimeQ_(0), haveLastBeat_(false), lastIntervalMs_(0),
      contact_(false), blockMax_(0), blockMin_(0xFFFF), prevBlockMax_(0),
      prevBlockMin_(0xFFFF), blockCount_(0), railCount_(0) {
    for (uint8_t i = 0; i < 4; i++) raw_[i] = 0;
    for (uint8_t i = 0; i < kHistoryLength; i++) history_[i] = 0;
}

uint16_t PulseDetector::envelopeAmplitude() const {
    uint16_t hi = blockMax_ > prevBlockMax_ ? blockMax_ : prevBlockMax_;
    uint16_t lo = blockMin_ < prevBlockMin_ ? blockMin_ : prevBlockMin_;
    return hi > lo ? (uint16_t)((hi - lo) / 4) : 0;
}

void PulseDetector::loseContact() {
    contact_ = false;
    haveLastBeat_ = false;
    thresholdFromPulse_ = false;
    state_ = kSeekRise;
    troughValue_ = 0xFFFF;
}

bool PulseDetector::addSample(uint16_t adc, Beat &beat) {
    raw_[n_ & 3] = adc;
    uint16_t s = raw_[0] + raw_[1] + raw_[2] + raw_[3];
    uint32_t i = n_;
    history_[i % kHistoryLength] = s;
    n_++;
    if (i < 4) return false;  // filter not yet full

    // Envelope over 1 s blocks; the previous block keeps 1-2 s of history.
    if (s > blockMax_) blockMax_ = s;
    if (s < blockMin_) blockMin_ = s;
    if (++blockCount_ >= kEnvelopeBlock) {
        prevBlockMax_ = blockMax_; prevBlockMin_ = blockMin_;
        blockMax_ = 0; blockMin_ = 0xFFFF; blockCount_ = 0;
    }
    uint16_t hi = blockMax_ > prevBlockMax_ ? blockMax_ : prevBlockMax_;
    uint16_t lo = blockMin_ < prevBlockMin_ ? blockMin_ : prevBlockMin_;
    uint16_t envelope = hi > lo ? hi - lo : 0;

    // Contact checks.
    if (adc <= 2 || adc >= 1021) { if (railCount_ < 0xFFFF) railCount_++; } else railCount_ = 0;
    bool railed = railCount_ > 100;  // 200 ms at a rail
    bool flat = prevBlockMax_ != 0 && envelope < kMinContactAmplitude;
    bool silent = (i - lastBeatIndex_) * kSampleIntervalMs > kMaxBeatGapMs;
    if (railed || flat || (contact_ && silent)) {
        if (contact_ || haveLastBeat_) loseContact();
        if (railed || flat) return false;
    }
    if (!thresholdFromPulse_) threshold_ = lo + envelope / 2;

    if (state_ == kSeekRise) {
        if (s < troughValue_) { troughValue_ = s; troughIndex_ = i; }
        // Refractory: IBI / 2, within 250-400 ms (125-200 samples). The cap
        // keeps a premature beat after a long (missed-beat) interval visible.
        uint32_t refractory = haveLastBeat_ ? lastIntervalMs_ / 4 : 125;
        if (refractory < 125) refractory = 125;
        if (refractory > 200) refractory = 200;
        bool outsideRefractory = !haveLastBeat_ || (i - lastBeatIndex_) > refractory;
        if (s > threshold_ && troughValue_ != 0xFFFF && outsideRefractory &&
            s - troughValue_ >= kMinContactAmplitude) {
            state_ = kInPulse;
            peakValue_ = s; peakIndex_ = i;
        }
        return false;
    }
    // kInPulse
    if (s > peakValue_) { peakValue_ = s; peakIndex_ = i; }
    uint16_t fallen = (peakValue_ - troughValue_) / 4;
    if (i - peakIndex_ >= 20 || s + fallen < peakValue_) {
        bool found = finishPulse(beat);
        state_ = kSeekRise;
        troughValue_ = s; troughIndex_ = i;
        return found;
    }
    return false;
}

bool PulseDetector::finishPulse(Beat &beat) {
    uint16_t half = troughValue_ + (peakValue_ - troughValue_) / 2;
    // Walk back from the peak to the sample where the upstroke crossed `half`.
    uint32_t k = peakIndex_;
    uint32_t oldest = n_ > kHistoryLength ? n_ - kHistoryLength + 1 : 1;
    if (troughIndex_ + 1 > oldest) oldest = troughIndex_ + 1;
    while (k > oldest && history_[(k - 1) % kHistoryLength] >= half) k--;
    uint16_t above = history_[k % kHistoryLength];
    uint16_t below = history_[(k - 1) % kHistoryLength];
    if (k <= oldest || above <= below || below >= half) {
        thresholdFromPulse_ = false;
        return false;  // upstroke longer than the history: not a pulse shape
    }
    // A step (finger put down, sensor knocked) rises in one jump, which the
    // 4-tap filter spreads over 4 samples of 1/4 each; a pulse upstroke
    // (>= 50 ms, 25 samples) rises by at most ~1/16 of its height per sample.
    if ((uint16_t)(above - below) > (peakValue_ - troughValue_) / 8) {
        thresholdFromPulse_ = false;
        haveLastBeat_ = false;
        return false;
    }
    // Crossing at sample (k-1) + frac; times in ms x 16 (sample = 32 units).
    uint32_t fracQ = (uint32_t)(half - below) * 32 / (above - below);
    uint32_t crossingQ = (k - 1) * 32 + fracQ;
    const uint32_t filterDelayQ = 48;  // 1.5 samples = 3 ms
    if (crossingQ < filterDelayQ) return false;
    uint32_t timeQ = crossingQ - filterDelayQ;

    threshold_ = half;
    thresholdFromPulse_ = true;
    contact_ = true;
    beat.timeMs = (timeQ + 8) / 16;
    beat.amplitude = (peakValue_ - troughValue_) / 4;
    if (haveLastBeat_) {
        uint32_t ibi = (timeQ - lastBeatTimeQ_ + 8) / 16;
        beat.interBeatIntervalMs = ibi > 0xFFFF ? 0 : (uint16_t)ibi;
    } else {
        beat.interBeatIntervalMs = 0;
    }
    lastIntervalMs_ = beat.interBeatIntervalMs;
    lastBeatTimeQ_ = timeQ;
    lastBeatIndex_ = k;
    haveLastBeat_ = true;
    return true;
}
