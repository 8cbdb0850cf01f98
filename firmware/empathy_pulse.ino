// Empathy pulse firmware: an analog pulse sensor on A0 of an Arduino Uno,
// sampled at 500 Hz by Timer1, beats detected on the board, reported over
// USB serial at 115200 8N1 in the line protocol of PROTOCOL.md (version 1).
//
// Timer1 (CTC, prescaler 64, OCR1A = 499) interrupts every 2 ms:
// 16 MHz / 64 / 500 = 500 Hz. The interrupt reads the ADC and runs the
// detector; loop() only formats and sends what the interrupt queued, then
// sleeps (idle mode: timers, ADC and UART keep running).
#include <avr/sleep.h>
#include "PulseDetector.h"
#include "LineWriter.h"

#define PROTOCOL_VERSION 1
#define FIRMWARE_VERSION "empathy-pulse/1.0.0"

static const uint8_t kSensorPin = A0;
static const uint16_t kQualityIntervalMs = 1000;
static const uint8_t kRawDecimation = 10;   // 500 Hz -> 50 Hz
static const uint8_t kRawPerLine = 10;      // one S line per 200 ms

static PulseDetector detector;
static LineWriter writer;

// Beats queued by the interrupt for loop() (single producer, single consumer).
static const uint8_t kQueueLength = 8;
static volatile PulseDetector::Beat beatQueue[kQueueLength];
static volatile uint8_t beatHead = 0, beatTail = 0;

// Decimated raw samples, double-buffered.
static volatile uint16_t rawBlock[2][kRawPerLine];
static volatile uint32_t rawBlockTimeMs[2];
static volatile uint8_t rawFill = 0, rawBlockIndex = 0, rawDecimator = 0;
static volatile int8_t rawReady = -1;
static volatile bool rawEnabled = false;

ISR(TIMER1_COMPA_vect) {
    uint16_t adc = analogRead(kSensorPin);
    PulseDetector::Beat beat;
    if (detector.addSample(adc, beat)) {
        uint8_t next = (beatHead + 1) % kQueueLength;
        if (next != beatTail) {  // drop the beat if loop() is 8 behind
            beatQueue[beatHead].timeMs = beat.timeMs;
            beatQueue[beatHead].interBeatIntervalMs = beat.interBeatIntervalMs;
            beatQueue[beatHead].amplitude = beat.amplitude;
            beatHead = next;
        }
    }
    if (rawEnabled && ++rawDecimator >= kRawDecimation) {
        rawDecimator = 0;
        uint8_t b = rawBlockIndex;
        if (rawFill == 0) rawBlockTimeMs[b] = detector.nowMs() - PulseDetector::kSampleIntervalMs;
        rawBlock[b][rawFill++] = adc;
        if (rawFill >= kRawPerLine) { rawReady = b; rawBlockIndex = b ^ 1; rawFill = 0; }
    }
}

static void sendBanner() {
    writer.begin("HELLO");
    writer.addField((uint32_t)PROTOCOL_VERSION);
    writer.addField(FIRMWARE_VERSION);
    writer.addField((uint32_t)PulseDetector::kSampleRateHz);
    Serial.print(writer.finish());
}

static void sendBeat(const PulseDetector::Beat &beat) {
    writer.begin("B");
    writer.addField(beat.timeMs);
    writer.addField((uint32_t)beat.interBeatIntervalMs);
    // BPM x 10, rounded: 600000 / IBI ms. 0 when the interval is unknown.
    uint32_t bpmTenths = beat.interBeatIntervalMs
        ? (600000UL + beat.interBeatIntervalMs / 2) / beat.interBeatIntervalMs : 0;
    writer.addField(bpmTenths);
    writer.addField((uint32_t)beat.amplitude);
    Serial.print(writer.finish());
}

static void sendQuality(uint32_t nowMs) {
    cli();  // the interrupt updates the detector
    bool contact = detector.hasContact();
    uint16_t amplitude = detector.envelopeAmplitude();
    sei();
    writer.begin("Q");
    writer.addField(nowMs);
    writer.addField((uint32_t)(contact ? 1 : 0));
    writer.addField((uint32_t)amplitude);
    Serial.print(writer.finish());
}

static void sendRaw(uint8_t block) {
    writer.begin("S");
    writer.addField(rawBlockTimeMs[block]);
    writer.addField((uint32_t)(kRawDecimation * PulseDetector::kSampleIntervalMs));
    for (uint8_t i = 0; i < kRawPerLine; i++) writer.addField((uint32_t)rawBlock[block][i]);
    Serial.print(writer.finish());
}

// Host commands, one per line: "?" resends the banner, "R1"/"R0" turn the
// raw sample stream on/off.
static char command[8];
static uint8_t commandLength = 0;

static void readCommands() {
    while (Serial.available() > 0) {
        char c = (char)Serial.read();
        if (c == '\r' || c == '\n') {
            command[commandLength] = 0;
            if (commandLength == 1 && command[0] == '?') sendBanner();
            else if (commandLength == 2 && command[0] == 'R') rawEnabled = command[1] == '1';
            commandLength = 0;
        } else if (commandLength < sizeof(command) - 1) {
            command[commandLength++] = c;
        } else {
            commandLength = 0;  // too long: not a command
        }
    }
}

void setup() {
    Serial.begin(115200);
    sendBanner();
    cli();
    TCCR1A = 0;
    TCCR1B = _BV(WGM12) | _BV(CS11) | _BV(CS10);  // CTC, clk/64
    OCR1A = 499;                                   // 500 Hz
    TCNT1 = 0;
    TIMSK1 = _BV(OCIE1A);
    sei();
}

void loop() {
    static uint32_t nextQualityMs = kQualityIntervalMs;
    bool idle = true;
    while (beatTail != beatHead) {
        PulseDetector::Beat beat;
        beat.timeMs = beatQueue[beatTail].timeMs;
        beat.interBeatIntervalMs = beatQueue[beatTail].interBeatIntervalMs;
        beat.amplitude = beatQueue[beatTail].amplitude;
        beatTail = (beatTail + 1) % kQueueLength;
        sendBeat(beat);
        idle = false;
    }
    if (rawReady >= 0) {
        uint8_t block = (uint8_t)rawReady;
        rawReady = -1;
        sendRaw(block);
        idle = false;
    }
    cli();
    uint32_t nowMs = detector.nowMs();
    sei();
    if ((int32_t)(nowMs - nextQualityMs) >= 0) {
        sendQuality(nowMs);
        nextQualityMs += kQualityIntervalMs;
        idle = false;
    }
    readCommands();
    if (idle) {
        set_sleep_mode(SLEEP_MODE_IDLE);
        sleep_mode();
    }
}
