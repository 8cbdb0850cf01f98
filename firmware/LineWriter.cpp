#include "LineWriter.h"

void LineWriter::begin() { length_ = 0; checksum_ = 0; text_[0] = 0; }

void LineWriter::put(char c) {
    if (length_ + 6 >= kCapacity) return;  // keep room for "*XX\r\n\0"
    text_[length_++] = c;
    checksum_ ^= (uint8_t)c;
}

void LineWriter::begin(const char *type) {
    begin();
    text_[length_++] = '$';
    const char *p = "EMP,";
    while (*p) put(*p++);
    while (*type) put(*type++);
}

void LineWriter::addField(const char *text) {
    put(',');
    while (*text) put(*text++);
}

void LineWriter::addField(uint32_t value) {
    char digits[10];
    uint8_t count = 0;
    do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value && count < 10);
    put(',');
    while (count) put(digits[--count]);
}

const char *LineWriter::finish() {
    static const char hex[] = "0123456789ABCDEF";
    text_[length_++] = '*';
    text_[length_++] = hex[checksum_ >> 4];
    text_[length_++] = hex[checksum_ & 15];
    text_[length_++] = '\r';
    text_[length_++] = '\n';
    text_[length_] = 0;
    return text_;
}
