import CJansson
import CStackPilotShims
import Foundation

// STOPGAP until the JSONDocument module lands: an order-preserving JSON tree parsed by jansson.
// Dashboards must keep Grafana's key order through export -> provision -> export, which Foundation's
// JSON types do not. When JSONDocument exists this file is replaced by it (see README).

extension Grafana {
    /// A JSON value whose objects keep their members in document order.
    public enum OrderedJSON: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case string(String)
        case array([OrderedJSON])
        case object([Member])

        public struct Member: Sendable, Equatable {
            public var key: String
            public var value: OrderedJSON
            public init(_ key: String, _ value: OrderedJSON) {
                self.key = key
                self.value = value
            }
        }

        public struct ParseError: Error, Sendable, CustomStringConvertible {
            public var line: Int
            public var column: Int
            public var message: String
            public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
        }

        /// Parses with jansson (duplicate keys rejected), keeping key order.
        public init(data: Data) throws(ParseError) {
            var error = json_error_t()
            let root: UnsafeMutablePointer<json_t>? = data.withUnsafeBytes { buffer in
                json_loadb(buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count, Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY), &error)
            }
            guard let root else {
                let message = withUnsafeBytes(of: error.text) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                throw ParseError(line: Int(error.line), column: Int(error.column), message: message)
            }
            defer { sp_json_decref(root) }
            self = Self.convert(root)
        }

        private static func convert(_ value: UnsafeMutablePointer<json_t>) -> OrderedJSON {
            switch sp_json_typeof(value) {
            case JSON_OBJECT:
                var members: [Member] = []
                var iterator = json_object_iter(value)
                while let current = iterator {
                    let key = String(cString: json_object_iter_key(current))
                    if let child = json_object_iter_value(current) { members.append(Member(key, convert(child))) }
                    iterator = json_object_iter_next(value, current)
                }
                return .object(members)
            case JSON_ARRAY:
                return .array((0..<json_array_size(value)).compactMap { json_array_get(value, $0).map(convert) })
            case JSON_STRING:
                let length = json_string_length(value)
                guard let bytes = json_string_value(value) else { return .string("") }
                return .string(bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                })
            case JSON_INTEGER: return .int(Int64(json_integer_value(value)))
            case JSON_REAL: return .double(json_real_value(value))
            case JSON_TRUE: return .bool(true)
            case JSON_FALSE: return .bool(false)
            default: return .null
            }
        }

        // MARK: navigation and patching

        public subscript(key: String) -> OrderedJSON? {
            get {
                guard case .object(let members) = self else { return nil }
                return members.first { $0.key == key }?.value
            }
            set {
                guard case .object(var members) = self else { return }
                if let index = members.firstIndex(where: { $0.key == key }) {
                    if let newValue { members[index].value = newValue } else { members.remove(at: index) }
                } else if let newValue {
                    members.append(Member(key, newValue))
                }
                self = .object(members)
            }
        }

        public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
        public var intValue: Int? {
            switch self {
            case .int(let v): Int(v)
            case .double(let v) where v == v.rounded(): Int(v)
            default: nil
            }
        }
        public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }

        /// A copy without the given top-level keys.
        public func removing(_ keys: Set<String>) -> OrderedJSON {
            guard case .object(let members) = self else { return self }
            return .object(members.filter { !keys.contains($0.key) })
        }

        /// Structural equality; object key order does not matter, numbers compare by value, and
        /// the given keys are ignored at the top level only (e.g. a dashboard's id and version).
        public func isEquivalent(to other: OrderedJSON, ignoringTopLevel ignored: Set<String> = []) -> Bool {
            Self.equivalent(self.removing(ignored), other.removing(ignored))
        }

        private static func equivalent(_ a: OrderedJSON, _ b: OrderedJSON) -> Bool {
            switch (a, b) {
            case (.object(let x), .object(let y)):
                guard x.count == y.count else { return false }
                var lookup: [String: OrderedJSON] = [:]
                for member in y { lookup[member.key] = member.value }
                return x.allSatisfy { member in lookup[member.key].map { equivalent(member.value, $0) } ?? false }
            case (.array(let x), .array(let y)):
                return x.count == y.count && zip(x, y).allSatisfy { equivalent($0, $1) }
            case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
                return Double(x) == y
            default:
                return a == b
            }
        }

        /// Calls `body` on every value, depth first, letting it replace values in place.
        public mutating func transform(_ body: (inout OrderedJSON) -> Void) {
            body(&self)
            switch self {
            case .object(var members):
                for index in members.indices { members[index].value.transform(body) }
                self = .object(members)
            case .array(var values):
                for index in values.indices { values[index].transform(body) }
                self = .array(values)
            default:
                break
            }
        }

        // MARK: serialisation

        /// JSON text: 2-space indentation, `": "` after keys, keys in document order, a trailing
        /// newline — the layout Grafana's "Export" and `json.dumps(indent=2)` produce.
        public func serialized(trailingNewline: Bool = true) -> Data {
            var out = ""
            write(into: &out, indent: 0)
            if trailingNewline { out += "\n" }
            return Data(out.utf8)
        }

        /// Compact JSON for request bodies.
        public func compact() -> Data {
            var out = ""
            writeCompact(into: &out)
            return Data(out.utf8)
        }

        private func write(into out: inout String, indent: Int) {
            switch self {
            case .object(let members):
                if members.isEmpty { out += "{}"; return }
                out += "{\n"
                for (index, member) in members.enumerated() {
                    out += String(repeating: " ", count: indent + 2)
                    Self.writeString(member.key, into: &out)
                    out += ": "
                    member.value.write(into: &out, indent: indent + 2)
                    out += index == members.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "}"
            case .array(let values):
                if values.isEmpty { out += "[]"; return }
                out += "[\n"
                for (index, value) in values.enumerated() {
                    out += String(repeating: " ", count: indent + 2)
                    value.write(into: &out, indent: indent + 2)
                    out += index == values.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "]"
            default:
                writeScalar(into: &out)
            }
        }

        private func writeCompact(into out: inout String) {
            switch self {
            case .object(let members):
                out += "{"
                for (index, member) in members.enumerated() {
                    if index > 0 { out += "," }
                    Self.writeString(member.key, into: &out)
                    out += ":"
                    member.value.writeCompact(into: &out)
                }
                out += "}"
            case .array(let values):
                out += "["
                for (index, value) in values.enumerated() {
                    if index > 0 { out += "," }
                    value.writeCompact(into: &out)
                }
                out += "]"
            default:
                writeScalar(into: &out)
            }
        }

        private func writeScalar(into out: inout String) {
            switch self {
            case .null: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .int(let i): out += String(i)
            case .double(let d):
                if d.isFinite {
                    // Shortest representation that round-trips; keep a ".0" so it stays a real.
                    var text = "\(d)"
                    if !text.contains(".") && !text.contains("e") && !text.contains("E") { text += ".0" }
                    out += text
                } else {
                    out += "null"
                }
            case .string(let s): Self.writeString(s, into: &out)
            case .array, .object: break
            }
        }

        private static func writeString(_ s: String, into out: inout String) {
            out += "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }
    }
}
