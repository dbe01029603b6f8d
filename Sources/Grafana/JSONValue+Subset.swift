import Foundation
import JSONDocument

extension JSONValue {
    /// True when every key this value sets is set the same way in `other`, recursively; arrays
    /// must have the same length and match element by element. Keys in `ignoring` are skipped at
    /// every level. This tolerates defaults Grafana adds to what it stores; `for` durations compare
    /// by length (`5m` is `5m0s`).
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
            if let a = doubleValue, let b = other.doubleValue { return a == b }
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
}

extension Grafana {
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
