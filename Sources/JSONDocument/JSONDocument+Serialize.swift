import CJansson
import CStackPilotShims
import Foundation

extension JSONDocument {
    /// Serialises with members in document order.
    ///
    /// - Parameters:
    ///   - indent: spaces per level; the output then matches `JSON.stringify(x, null, indent)` and
    ///     Python's `json.dumps(x, indent=indent, ensure_ascii=False)` (`"key": value`, one member
    ///     per line, `[]`/`{}` for empty containers). `nil` gives compact output (`{"a":1}`).
    ///   - trailingNewline: end with `\n`, as files written by editors and Grafana's exporters do.
    ///
    /// Reals print in the shortest form that reads back as the same number (`0.1`, not
    /// `0.10000000000000001`), as Python's `repr` does; integers print as integers.
    public func serialized(indent: Int? = 2, trailingNewline: Bool = false) -> String {
        String(decoding: serializedData(indent: indent, trailingNewline: trailingNewline), as: UTF8.self)
    }

    public func serializedData(indent: Int? = 2, trailingNewline: Bool = false) -> Data {
        var writer = Writer(indent: indent.map { max(0, $0) })
        writer.write(node.raw, level: 0)
        if trailingNewline { writer.out.append(UInt8(ascii: "\n")) }
        return Data(writer.out)
    }
}

extension JSONDocument: CustomStringConvertible, CustomDebugStringConvertible {
    /// Compact JSON.
    public var description: String { serialized(indent: nil) }
    public var debugDescription: String { "JSONDocument(\(serialized(indent: nil)))" }
}

/// Formats a real the way Python's `repr` and (for the usual range) JavaScript do.
func formatReal(_ value: Double) -> String {
    // Swift's description is the shortest round-tripping form; it switches to exponent notation at
    // 2^53 where Python waits until 1e16, so integral values in between are spelled out.
    let magnitude = abs(value)
    if magnitude >= 9_007_199_254_740_992, magnitude < 1e16, value.rounded() == value {
        return "\(Int64(value)).0"
    }
    return value.description
}

private struct Writer {
    let indent: Int?
    var out: [UInt8] = []

    init(indent: Int?) {
        self.indent = indent
        out.reserveCapacity(4096)
    }

    mutating func append(_ text: String) { out.append(contentsOf: text.utf8) }

    mutating func newline(_ level: Int) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    mutating func write(_ raw: UnsafeMutablePointer<json_t>, level: Int) {
        switch sp_json_typeof(raw) {
        case JSON_NULL: append("null")
        case JSON_TRUE: append("true")
        case JSON_FALSE: append("false")
        case JSON_INTEGER: append(String(json_integer_value(raw)))
        case JSON_REAL: append(formatReal(json_real_value(raw)))
        case JSON_STRING:
            let length = json_string_length(raw)
            if let value = json_string_value(raw) {
                value.withMemoryRebound(to: UInt8.self, capacity: length) {
                    writeString(UnsafeBufferPointer(start: $0, count: length))
                }
            } else {
                append("\"\"")
            }
        case JSON_ARRAY:
            let count = json_array_size(raw)
            if count == 0 { return append("[]") }
            out.append(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                if let element = json_array_get(raw, index) { write(element, level: level + 1) }
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case JSON_OBJECT:
            let list = objectMembers(raw)
            if list.isEmpty { return append("{}") }
            out.append(UInt8(ascii: "{"))
            for (offset, member) in list.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                var key = member.key
                key.withUTF8 { writeString($0) }
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(member.value, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            append("null")
        }
    }

    /// Escapes as JSON.stringify and Python (ensure_ascii=False) do: quote, backslash and control
    /// characters; everything else, non-ASCII included, is written as is.
    mutating func writeString(_ bytes: UnsafeBufferPointer<UInt8>) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
