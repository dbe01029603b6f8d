import Durations
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
                    if let mine = Grafana.durationSeconds(a), let theirs = Grafana.durationSeconds(b) {
                        if mine != theirs { return false }
                    } else if a != b {
                        return false  // text that is no duration (Grafana would refuse it) must match as text
                    }
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
    /// Seconds in a Grafana `for` such as `5m`, `1h30m`, `90s`, `5m0s` (Grafana reads it as a
    /// Prometheus duration, ``PrometheusDuration``); nil if it is not one.
    static func durationSeconds(_ text: String) -> Double? {
        PrometheusDuration.parse(text).map { $0 / .seconds(1) }
    }
}
