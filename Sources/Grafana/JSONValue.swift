import Foundation

extension Grafana {
    /// A JSON (or YAML) fragment for API payloads whose shape Grafana leaves open (alert-rule
    /// queries, datasource jsonData). Parsing is done by `JSONDecoder` / Yams' `YAMLDecoder`; key
    /// order does not matter here — dashboards, where it does, use `JSONDocument`.
    public enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        public init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var values: [JSONValue] = []
                while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
                self = .array(values)
                return
            }
            if let object = try? decoder.container(keyedBy: AnyKey.self) {
                var values: [String: JSONValue] = [:]
                for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
                self = .object(values)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { self = .null }
            else if let value = try? single.decode(Bool.self) { self = .bool(value) }
            else if let value = try? single.decode(Int.self) { self = .int(value) }
            else if let value = try? single.decode(Double.self) { self = .double(value) }
            else { self = .string(try single.decode(String.self)) }
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
            case .bool(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .int(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .double(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .string(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .array(let values):
                var c = encoder.unkeyedContainer()
                for value in values { try c.encode(value) }
            case .object(let values):
                var c = encoder.container(keyedBy: AnyKey.self)
                for (key, value) in values { try c.encode(value, forKey: AnyKey(key)) }
            }
        }

        public subscript(key: String) -> JSONValue? {
            get { if case .object(let o) = self { o[key] } else { nil } }
            set {
                guard case .object(var o) = self else { return }
                o[key] = newValue
                self = .object(o)
            }
        }

        public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
        public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
        public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }

        /// The number, whether written as an integer or not.
        public var doubleValue: Double? { numberValue }

        var numberValue: Double? {
            switch self {
            case .int(let v): Double(v)
            case .double(let v): v
            default: nil
            }
        }

        /// True when every key this value sets is set the same way in `other`, recursively; arrays
        /// must have the same length and match element by element. Keys in `ignoring` are skipped at
        /// every level. This tolerates defaults the server adds to what it stores.
        public func isSubset(of other: JSONValue, ignoring: Set<String> = []) -> Bool {
            switch (self, other) {
            case (.object(let mine), .object(let theirs)):
                for (key, value) in mine where !ignoring.contains(key) {
                    guard let counterpart = theirs[key] else {
                        if value.isEmptyish { continue }
                        return false
                    }
                    if key == "for", let a = value.stringValue, let b = counterpart.stringValue {
                        if Grafana.durationSeconds(a) != Grafana.durationSeconds(b) { return false }
                        continue
                    }
                    if !value.isSubset(of: counterpart, ignoring: ignoring) { return false }
                }
                return true
            case (.array(let mine), .array(let theirs)):
                guard mine.count == theirs.count else { return false }
                return zip(mine, theirs).allSatisfy { $0.isSubset(of: $1, ignoring: ignoring) }
            default:
                if let a = numberValue, let b = other.numberValue { return a == b }
                return self == other
            }
        }

        /// Null, false, "", [] and {} — what a server may leave out instead of storing.
        var isEmptyish: Bool {
            switch self {
            case .null: true
            case .bool(let v): !v
            case .string(let s): s.isEmpty
            case .array(let a): a.isEmpty
            case .object(let o): o.isEmpty
            default: false
            }
        }

        public var description: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }

        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { return nil }
        }
    }

    /// Seconds in a Prometheus/Grafana duration such as `5m`, `1h30m`, `90s`, `5m0s`; nil if malformed.
    static func durationSeconds(_ text: String) -> Double? {
        if text == "0" { return 0 }
        let units: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800, "y": 31_536_000]
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let n = Double(number), let factor = units[unit] else { return false }
            total += n * factor
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty, !flush() { return nil }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        guard !number.isEmpty, flush() else { return nil }
        return total
    }
}
