// Formats protocol lines: "$EMP,<fields>*<XX>\r\n", where XX is the XOR of
// every byte between '$' and '*' as two upper-case hex digits (NMEA 0183
// style). See PROTOCOL.md.
#pragma once
#include <stdint.h>

class LineWriter {
public:
    LineWriter() { begin(); }
    /// Starts a line with "$EMP,<type>".
    void begin(const char *type);
    void addField(const char *text);
    void addField(uint32_t value);
    /// Appends "*XX\r\n" and a terminating NUL; returns the line.
    const char *finish();
    uint8_t length() const { return length_; }

private:
    static const uint8_t kCapacity = 96;
    char text_[kCapacity];
    uint8_t length_;
    uint8_t checksum_;
    void begin();
    void put(char c);
};
