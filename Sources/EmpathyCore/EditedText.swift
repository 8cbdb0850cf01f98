/// Text as a person may have saved it: a spreadsheet or a Windows editor
/// writes a UTF-8 byte-order mark and CRLF line ends. Every reader of a file
/// a person may edit (tracks, landmark sidecars, sensor sessions, shaders,
/// calibration profiles) reads it through here, so those files read as if
/// saved with LF and no mark; line numbers are unchanged.
public enum EditedText {
    public static func normalized(_ text: String) -> String {
        var text = Substring(text)
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        guard text.contains("\r") else { return String(text) }
        // "\r\n" is one Character in Swift; a lone "\r" is left as it is.
        return String(text.map { $0 == "\r\n" ? "\n" : $0 })
    }
}
