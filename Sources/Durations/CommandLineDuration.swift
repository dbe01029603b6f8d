/// Durations as command-line flags take them: `90s`, `2m`, `1m30s`, `500ms`, `2.5s`, `1h`, or a
/// bare number of seconds (`30`, `0.5`), which every seconds-valued flag has always accepted.
///
/// The one grammar of StackPilot's duration flags (`--timeout`, `--wait-timeout`, `--interval`,
/// `--sample-window`, `--heal-grace`, ...). A superset of what those flags took before: the
/// integers of `-t 10`, docker compose's Go durations of `--wait-timeout 1m30s`, and the decimals
/// of `--interval 2.5s`. Configuration files keep their own grammar (``PrometheusDuration``).
///
/// Grammar: a non-negative decimal number alone (seconds), or one or more `<decimal><unit>` with
/// units `h m s ms`. No sign, no spaces. The total must fit `Int64` milliseconds.
public enum CommandLineDuration {
    static let units: [(name: String, seconds: Double)] = [("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001)]

    /// The duration `text` spells, or nil.
    public static func parse(_ text: String) -> Duration? {
        guard !text.isEmpty else { return nil }
        func isNumeric(_ c: Character) -> Bool { c.isASCII && (c.isNumber || c == ".") }
        if text.allSatisfy(isNumeric) { return milliseconds(Double(text), scale: 1) }
        var rest = Substring(text)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix(while: isNumeric)
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !isNumeric($0) }
            rest = rest.dropFirst(unit.count)
            guard let scale = units.first(where: { $0.name == unit })?.seconds else { return nil }
            total += value * scale
        }
        return milliseconds(total, scale: 1)
    }

    private static func milliseconds(_ value: Double?, scale: Double) -> Duration? {
        // Double reads "inf" and "1e30" too: only what fits Int64 milliseconds is a duration.
        guard let value, value.isFinite, value >= 0, case let ms = (value * scale * 1000).rounded(), ms < 9.2e18 else { return nil }
        return .milliseconds(Int64(ms))
    }

    /// `duration` as the flags spell it: `0s`, `100ms`, `1s`, `1.5s`, `2m`, `1m30s`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Int64(seconds) * 1000 + attoseconds / 1_000_000_000_000_000
        if ms == 0 { return "0s" }
        if ms < 1000 { return "\(ms)ms" }
        if ms % 1000 != 0 { return "\(Double(ms) / 1000)s" }
        let whole = ms / 1000
        let parts = [(whole / 3600, "h"), (whole % 3600 / 60, "m"), (whole % 60, "s")]
        return parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()
    }
}
