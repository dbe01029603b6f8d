/// A compose duration (Go duration syntax: `1h30m`, `10s`, `1.5s`, `500ms`, `2us`, `0`), kept in nanoseconds.
public struct ComposeDuration: Sendable, Hashable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public var duration: Duration { .nanoseconds(nanoseconds) }

    /// Parses Go duration syntax; nil when invalid.
    public init?(parsing text: String) {
        var s = Substring(text.trimmingSpaces)
        guard !s.isEmpty else { return nil }
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        if s == "0" { self.nanoseconds = 0; return }
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9),
            ("m", 60e9), ("h", 3600e9),
        ]
        var total = 0.0
        var sawComponent = false
        while !s.isEmpty {
            let number = s.prefix(while: { $0.isNumber || $0 == "." })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unitText = s.prefix(while: { !$0.isNumber && $0 != "." })
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            s = s.dropFirst(unitText.count)
            total += value * unit.1
            sawComponent = true
        }
        guard sawComponent, total < 9.2e18 else { return nil }
        self.nanoseconds = Int64((negative ? -total : total).rounded())
    }

    /// Go-style rendering, e.g. `1m30s`, `500ms`, `0s`.
    public var description: String {
        var ns = nanoseconds
        if ns == 0 { return "0s" }
        var out = ns < 0 ? "-" : ""
        ns = abs(ns)
        if ns < 1_000_000_000 {
            if ns % 1_000_000 == 0 { return out + "\(ns / 1_000_000)ms" }
            if ns % 1_000 == 0 { return out + "\(ns / 1_000)us" }
            return out + "\(ns)ns"
        }
        let hours = ns / 3_600_000_000_000
        ns -= hours * 3_600_000_000_000
        let minutes = ns / 60_000_000_000
        ns -= minutes * 60_000_000_000
        if hours > 0 { out += "\(hours)h" }
        if hours > 0 || minutes > 0 { out += "\(minutes)m" }
        let seconds = ns / 1_000_000_000
        let fraction = ns % 1_000_000_000
        if fraction == 0 {
            out += "\(seconds)s"
        } else {
            var f = String(fraction)
            f = String(repeating: "0", count: 9 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            out += "\(seconds).\(f)s"
        }
        return out
    }
}

enum ByteSize {
    /// Compose byte values: a plain number of bytes, or a number with b, k/kb, m/mb, g/gb (1024-based,
    /// case-insensitive). Nil when invalid.
    static func parse(_ text: String) -> Int64? {
        let s = text.trimmingSpaces.lowercased()
        let number = s.prefix(while: { $0.isNumber || $0 == "." })
        guard !number.isEmpty, let value = Double(number) else { return nil }
        let unit = s.dropFirst(number.count).trimmingSpaces
        let factor: Double
        switch unit {
        case "", "b": factor = 1
        case "k", "kb", "kib": factor = 1024
        case "m", "mb", "mib": factor = 1024 * 1024
        case "g", "gb", "gib": factor = 1024 * 1024 * 1024
        case "t", "tb", "tib": factor = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * factor
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes)
    }
}
