/// Durations in Prometheus' notation, as prometheus/common's `model.ParseDuration` reads them and
/// `model.Duration.String()` writes them: `15s`, `1m30s`, `500ms`, `2d`, `1w`, `1y`.
///
/// The one grammar StackPilot reads durations in: Prometheus' configuration and API, and Grafana's
/// alert rules (`for`, rule-group `interval`), which Grafana parses with the same function — so
/// Go's print of five minutes, `5m0s`, is accepted too, while decimals (`1.5m`) and Go-only units
/// (`us`, `ns`) are not.
///
/// Grammar: `0` alone, or one or more `<digits><unit>` with units `y w d h m s ms` (365-day years,
/// 7-day weeks, 24-hour days), each at most once and from largest to smallest. No sign, no spaces.
/// The total must fit Go's `time.Duration` (at most 2⁶³−1 nanoseconds, about 292 years).
public enum PrometheusDuration {
    /// The largest duration Prometheus accepts: Go's `time.Duration` maximum.
    public static let maximum: Duration = .nanoseconds(Int64.max)

    /// The units from largest to smallest, in nanoseconds.
    static let units: [(name: String, nanoseconds: UInt64)] = [
        ("y", 365 * 86_400 * 1_000_000_000), ("w", 7 * 86_400 * 1_000_000_000), ("d", 86_400 * 1_000_000_000),
        ("h", 3_600 * 1_000_000_000), ("m", 60 * 1_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// The duration `text` spells, or nil when it is not a Prometheus duration (including the
    /// empty string, negative values, decimals, repeated or out-of-order units, and totals beyond
    /// ``maximum``).
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = text.utf8[...]
        guard !rest.isEmpty else { return nil }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var total: UInt64 = 0
        var nextUnit = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: isDigit)
            guard !digits.isEmpty, let value = UInt64(String(decoding: digits, as: UTF8.self)) else { return nil }
            rest = rest.dropFirst(digits.count)
            // As Prometheus does, everything up to the next digit is the unit ("1s " has unit "s ").
            let unitBytes = rest.prefix { !isDigit($0) }
            rest = rest.dropFirst(unitBytes.count)
            let unitName = String(decoding: unitBytes, as: UTF8.self)
            guard let index = units.firstIndex(where: { $0.name == unitName }), index >= nextUnit else { return nil }
            nextUnit = index + 1
            let (product, overflow) = value.multipliedReportingOverflow(by: units[index].nanoseconds)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow, sum <= UInt64(Int64.max) else { return nil }
            total = sum
        }
        return .nanoseconds(Int64(total))
    }

    /// `duration` as Prometheus prints it: `0s`, `5m`, `1h30m`, `1d`, `90d`, `1s500ms`. Years and
    /// weeks are used only when they divide the whole duration (`90d`, not `12w6d`); below a
    /// millisecond is dropped, as Prometheus keeps milliseconds only. Negative durations get a `-`.
    /// `parse(format(d)) == d` for every duration `parse` can return.
    public static func format(_ duration: Duration) -> String {
        let magnitude = duration < .zero ? .zero - duration : duration
        let (wholeSeconds, attoseconds) = magnitude.components
        // Kept as (seconds, milliseconds) so durations beyond Int64 milliseconds cannot overflow.
        var seconds = UInt64(wholeSeconds)
        let milliseconds = UInt64(attoseconds / 1_000_000_000_000_000)
        if seconds == 0 && milliseconds == 0 { return "0s" }
        var text = duration < .zero ? "-" : ""
        for (name, unitSeconds, exact) in [
            ("y", UInt64(365 * 86_400), true), ("w", 7 * 86_400, true),
            ("d", 86_400, false), ("h", 3_600, false), ("m", 60, false), ("s", 1, false),
        ] {
            if exact && (milliseconds != 0 || seconds % unitSeconds != 0) { continue }
            let count = seconds / unitSeconds
            if count > 0 {
                text += "\(count)\(name)"
                seconds -= count * unitSeconds
            }
        }
        if milliseconds > 0 { text += "\(milliseconds)ms" }
        return text
    }
}
