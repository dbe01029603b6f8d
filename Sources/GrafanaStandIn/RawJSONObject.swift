import Foundation

/// The top-level members of a JSON object, found by scanning its bytes, so single members can be
/// replaced, added or removed while every other byte (key order, spacing, number spelling) stays
/// as posted. The document must already be known to be valid JSON (checked with JSONSerialization).
struct RawJSONObject: Sendable, Equatable {
    private(set) var bytes: [UInt8]

    init?(_ data: Data) {
        bytes = Array(data)
        guard (try? members()) != nil else { return nil }
    }

    var data: Data { Data(bytes) }

    private struct Member {
        var key: String
        /// From the opening quote of the key to the end of the value.
        var memberRange: Range<Int>
        var valueRange: Range<Int>
    }

    private struct ScanError: Error {}

    private func skipSpace(_ i: inout Int) {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    /// Moves `i` past the string that starts at `i` (an opening quote).
    private func skipString(_ i: inout Int) throws {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw ScanError() }
        i += 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): i += 1; return
            default: i += 1
            }
        }
        throw ScanError()
    }

    private func skipValue(_ i: inout Int) throws {
        guard i < bytes.count else { throw ScanError() }
        switch bytes[i] {
        case UInt8(ascii: "\""): try skipString(&i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""): try skipString(&i); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { i += 1; return }
                default: break
                }
                i += 1
            }
            throw ScanError()
        default:
            while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }
    }

    /// Returns the members and the index of the closing brace.
    private func members() throws -> (members: [Member], open: Int, close: Int) {
        var i = 0
        skipSpace(&i)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { throw ScanError() }
        let open = i
        i += 1
        var result: [Member] = []
        skipSpace(&i)
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return (result, open, i) }
        while i < bytes.count {
            skipSpace(&i)
            let keyStart = i
            try skipString(&i)
            let rawKey = Data(bytes[(keyStart + 1)..<(i - 1)])
            let key = (try? JSONDecoder().decode(String.self, from: Data([UInt8(ascii: "\"")]) + rawKey + Data([UInt8(ascii: "\"")])))
                ?? String(decoding: rawKey, as: UTF8.self)
            skipSpace(&i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw ScanError() }
            i += 1
            skipSpace(&i)
            let valueStart = i
            try skipValue(&i)
            result.append(Member(key: key, memberRange: keyStart..<i, valueRange: valueStart..<i))
            skipSpace(&i)
            guard i < bytes.count else { throw ScanError() }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { return (result, open, i) }
            throw ScanError()
        }
        throw ScanError()
    }

    /// The bytes of the value of `key` (the last one when repeated, as JSON parsers do).
    func rawMember(_ key: String) -> Data? {
        guard let member = (try? members())?.members.last(where: { $0.key == key }) else { return nil }
        return Data(bytes[member.valueRange])
    }

    /// The top-level keys in document order.
    var keys: [String] { (try? members().members.map(\.key)) ?? [] }

    /// Replaces the value of `key` in place, or appends the member before the closing brace.
    mutating func set(_ key: String, rawValue: String) {
        guard let scan = try? members() else { return }
        let value = Array(rawValue.utf8)
        if let member = scan.members.last(where: { $0.key == key }) {
            bytes.replaceSubrange(member.valueRange, with: value)
            return
        }
        let keyBytes = Array((try? JSONEncoder().encode(key)) ?? Data("\"\(key)\"".utf8))
        if let last = scan.members.last {
            bytes.insert(contentsOf: [UInt8(ascii: ",")] + keyBytes + [UInt8(ascii: ":")] + value, at: last.memberRange.upperBound)
        } else {
            bytes.insert(contentsOf: keyBytes + [UInt8(ascii: ":")] + value, at: scan.close)
        }
    }

    mutating func set(_ key: String, string: String) {
        let encoded = (try? JSONEncoder().encode(string)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        set(key, rawValue: encoded)
    }

    /// Removes every member named `key`, with the comma that separated it.
    mutating func remove(_ key: String) {
        while let scan = try? members(), let index = scan.members.firstIndex(where: { $0.key == key }) {
            let member = scan.members[index]
            if index + 1 < scan.members.count {
                bytes.removeSubrange(member.memberRange.lowerBound..<scan.members[index + 1].memberRange.lowerBound)
            } else if index > 0 {
                bytes.removeSubrange(scan.members[index - 1].memberRange.upperBound..<member.memberRange.upperBound)
            } else {
                bytes.removeSubrange(member.memberRange)
            }
        }
    }
}
