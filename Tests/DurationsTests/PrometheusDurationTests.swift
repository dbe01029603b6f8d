import Durations
import Testing

@Suite("PrometheusDuration")
struct PrometheusDurationTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var text: String
        var duration: Duration
        /// How Prometheus prints it back (`model.Duration.String()`).
        var printed: String
        var testDescription: String { "\"\(text)\"" }
    }

    static let day: Int64 = 86_400
    static let maxYears: Int64 = Int64.max / 1_000_000_000 / (365 * day)

    @Test(
        "Prometheus durations parse to their length",
        arguments: [
            Valid(text: "0", duration: .zero, printed: "0s"),
            Valid(text: "0s", duration: .zero, printed: "0s"),
            Valid(text: "0ms", duration: .zero, printed: "0s"),
            Valid(text: "15s", duration: .seconds(15), printed: "15s"),
            Valid(text: "90s", duration: .seconds(90), printed: "1m30s"),
            Valid(text: "1m30s", duration: .seconds(90), printed: "1m30s"),
            Valid(text: "5m", duration: .seconds(300), printed: "5m"),
            // Go's time.Duration prints five minutes as "5m0s"; Grafana reads it with this grammar.
            Valid(text: "5m0s", duration: .seconds(300), printed: "5m"),
            Valid(text: "1h30m", duration: .seconds(5400), printed: "1h30m"),
            Valid(text: "1h", duration: .seconds(3600), printed: "1h"),
            Valid(text: "24h", duration: .seconds(day), printed: "1d"),
            Valid(text: "500ms", duration: .milliseconds(500), printed: "500ms"),
            Valid(text: "1500ms", duration: .milliseconds(1500), printed: "1s500ms"),
            Valid(text: "1d", duration: .seconds(day), printed: "1d"),
            Valid(text: "2w", duration: .seconds(14 * day), printed: "2w"),
            Valid(text: "1y", duration: .seconds(365 * day), printed: "1y"),
            // Weeks and years only when they divide the whole: 90d, not 12w6d.
            Valid(text: "90d", duration: .seconds(90 * day), printed: "90d"),
            Valid(text: "1w1d", duration: .seconds(8 * day), printed: "8d"),
            Valid(text: "1y1w1d1h1m1s1ms", duration: .milliseconds((373 * day + 3661) * 1000 + 1), printed: "373d1h1m1s1ms"),
            Valid(text: "007s", duration: .seconds(7), printed: "7s"),
            Valid(text: "\(maxYears)y", duration: .seconds(maxYears * 365 * day), printed: "\(maxYears)y"),
        ])
    func valid(_ example: Valid) {
        #expect(PrometheusDuration.parse(example.text) == example.duration)
        #expect(PrometheusDuration.format(example.duration) == example.printed)
    }

    @Test(
        "anything else is not a Prometheus duration",
        arguments: [
            "", " ", "5", "15", "m", "s", "ms", "1.5s", "1.5.5s", ".5s", "5x", "5S", "5M", "1us", "1ns", "1µs",
            "-5m", "+5m", "-0", " 5m", "5m ", "5 m", "5m-", "1m30", "1s1m", "1m1h", "1s1s", "5m5m", "1ms1s", "1d1y",
            "9999999999999999y", "\(maxYears + 1)y", "99999999999999999999s",
        ])
    func invalid(_ text: String) {
        #expect(PrometheusDuration.parse(text) == nil)
    }

    @Test("the total may reach Go's time.Duration maximum and no further, also when the parts only overflow together")
    func range() throws {
        let maximum = Int64.max
        let seconds = maximum / 1_000_000_000
        let milliseconds = (maximum % 1_000_000_000) / 1_000_000
        // 2⁶³−1 ns is 9223372036854 s 775 ms (and 807 ns, which no Prometheus duration can spell).
        let largest = try #require(PrometheusDuration.parse("\(seconds)s\(milliseconds)ms"))
        #expect(largest == .seconds(seconds) + .milliseconds(milliseconds))
        #expect(largest <= PrometheusDuration.maximum)
        #expect(PrometheusDuration.parse("\(seconds)s\(milliseconds + 1)ms") == nil)
        // Each part fits; their sum does not.
        #expect(PrometheusDuration.parse("\(Self.maxYears)y\(53)w") == nil)
    }

    @Test(
        "format then parse gives the same duration",
        arguments: [
            Duration.zero, .milliseconds(1), .milliseconds(999), .seconds(1), .seconds(59), .seconds(61), .seconds(3599),
            .seconds(3601), .seconds(86_399), .seconds(86_401), .seconds(7 * 86_400 + 1), .seconds(364 * 86_400),
            .seconds(366 * 86_400), .seconds(730 * 86_400), .milliseconds(365 * 86_400 * 1000 + 1),
            .milliseconds(123_456_789_012), .nanoseconds(Int64.max / 1_000_000 * 1_000_000),
        ])
    func roundTrip(_ duration: Duration) throws {
        let text = PrometheusDuration.format(duration)
        #expect(try #require(PrometheusDuration.parse(text)) == duration, "\(text)")
    }

    @Test("format keeps milliseconds only and signs negative durations")
    func formatEdges() {
        #expect(PrometheusDuration.format(.microseconds(1500)) == "1ms")
        #expect(PrometheusDuration.format(.nanoseconds(999_999)) == "0s")
        #expect(PrometheusDuration.format(.seconds(-90)) == "-1m30s")
        #expect(PrometheusDuration.format(.milliseconds(-1)) == "-1ms")
        // Beyond Go's range Swift's Duration still formats, without overflowing.
        #expect(
            PrometheusDuration.format(.seconds(Int64.max))
                == "\(Int64.max / 86_400)d\((Int64.max % 86_400) / 3600)h\((Int64.max % 3600) / 60)m\(Int64.max % 60)s")
    }
}
