import Foundation
import PrometheusAPI
import Testing

@Suite("ExpositionParser")
struct ExpositionParserTests {
    let parser = ExpositionParser()

    @Test("HELP, TYPE and labelled samples become one family")
    func counterFamily() throws {
        let families = try parser.parse(
            """
            # HELP http_requests_total Total HTTP requests.
            # TYPE http_requests_total counter
            http_requests_total{method="GET",status="200"} 1027 1395066363000
            http_requests_total{method="POST",status="400"} 3 1395066363000

            """)
        #expect(families.count == 1)
        let family = try #require(families.first)
        #expect(family.name == "http_requests_total")
        #expect(family.type == .counter)
        #expect(family.help == "Total HTTP requests.")
        #expect(family.samples.count == 2)
        #expect(family.samples[0].labels == [Label(name: "method", value: "GET"), Label(name: "status", value: "200")])
        #expect(family.samples[0].value == 1027)
        #expect(family.samples[0].timestampMilliseconds == 1_395_066_363_000)
        #expect(family.samples[1].label("status") == "400")
        #expect(family.samples[1].line == 4)
    }

    @Test("label values and HELP text unescape \\\\, \\\" and \\n")
    func escapes() throws {
        let families = try parser.parse(
            #"""
            # HELP msdos_file_access_time_seconds Help with \\ backslash and \n newline.
            # TYPE msdos_file_access_time_seconds gauge
            msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
            """#)
        let family = try #require(families.first)
        #expect(family.help == "Help with \\ backslash and \n newline.")
        #expect(family.samples[0].label("path") == #"C:\DIR\FILE.TXT"#)
        #expect(family.samples[0].label("error") == "Cannot find file:\n\"FILE.TXT\"")
        #expect(family.samples[0].value == 1.458255915e9)
    }

    struct SpecialValue: Sendable, CustomTestStringConvertible {
        var text: String
        var check: @Sendable (Double) -> Bool
        var testDescription: String { text }
    }

    @Test(
        "special float values parse",
        arguments: [
            SpecialValue(text: "NaN", check: { $0.isNaN }),
            SpecialValue(text: "+Inf", check: { $0 == .infinity }),
            SpecialValue(text: "-Inf", check: { $0 == -.infinity }),
            SpecialValue(text: "1e-3", check: { $0 == 0.001 }),
            SpecialValue(text: "-0.5", check: { $0 == -0.5 }),
            SpecialValue(text: "10000000000000000000", check: { $0 == 1e19 }),
        ])
    func specialValues(_ value: SpecialValue) throws {
        let families = try parser.parse("x \(value.text)\n")
        let sample = try #require(families.first?.samples.first)
        #expect(value.check(sample.value))
        #expect(families.first?.type == .untyped)
    }

    @Test("histogram _bucket, _sum and _count join the histogram family, and quantiles interpolate")
    func histogram() throws {
        let families = try parser.parse(
            """
            # A comment that is not HELP or TYPE is ignored.
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{le="0.05"} 24054
            http_request_duration_seconds_bucket{le="0.1"} 33444
            http_request_duration_seconds_bucket{le="0.2"} 100392
            http_request_duration_seconds_bucket{le="0.5"} 129389
            http_request_duration_seconds_bucket{le="1"} 133988
            http_request_duration_seconds_bucket{le="+Inf"} 144320
            http_request_duration_seconds_sum 53423
            http_request_duration_seconds_count 144320
            # TYPE rpc_duration_seconds summary
            rpc_duration_seconds{quantile="0.01"} 3102
            rpc_duration_seconds{quantile="0.5"} 4773
            rpc_duration_seconds{quantile="0.99"} 76656
            rpc_duration_seconds_sum 1.7560473e+07
            rpc_duration_seconds_count 2693
            """)
        #expect(families.map(\.name) == ["http_request_duration_seconds", "rpc_duration_seconds"])
        #expect(families.map(\.type) == [.histogram, .summary])
        #expect(families[0].samples.count == 8)
        #expect(families[1].samples.count == 5)
        let series = try #require(families[0].histogramSeries.first)
        #expect(series.buckets.count == 6)
        #expect(series.count == 144_320)
        #expect(series.sum == 53423)
        // Rank 0.5 * 144320 = 72160 lies in (0.1, 0.2]: 0.1 + 0.1 * (72160 - 33444) / (100392 - 33444).
        let median = try #require(series.quantile(0.5))
        #expect(abs(median - (0.1 + 0.1 * (72160 - 33444) / (100392 - 33444))) < 1e-9)
        // Rank in the +Inf bucket answers the highest finite bound, as PromQL does.
        #expect(series.quantile(0.99) == 1)
    }

    @Test("blanks and tabs between tokens, a trailing comma and an empty label set are accepted")
    func lenientSpacing() throws {
        let families = try parser.parse("  metric_a{ a = \"1\" ,\tb=\"2\", }\t 7 \nmetric_b{} 8\n\n")
        #expect(families.count == 2)
        #expect(families[0].samples[0].labels.count == 2)
        #expect(families[1].samples[0].labels.isEmpty)
        #expect(families[1].samples[0].value == 8)
    }

    @Test("an empty text gives no families")
    func empty() throws {
        #expect(try parser.parse("").isEmpty)
        #expect(try parser.parse("\n\n# just a comment\n").isEmpty)
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var reason: ExpositionError.Reason
        var testDescription: String { "\(reason) at \(line):\(column)" }
    }

    @Test(
        "bad input names the line, the column and what is wrong",
        arguments: [
            BadInput(text: "1metric 1\n", line: 1, column: 1, reason: .invalidMetricName),
            BadInput(text: "ok 1\nbad{1a=\"x\"} 2\n", line: 2, column: 5, reason: .invalidLabelName),
            BadInput(text: "m{a=\"x} 1\n", line: 1, column: 10, reason: .unterminatedLabelValue),
            BadInput(text: "m{a=\"\\t\"} 1\n", line: 1, column: 6, reason: .invalidEscape("t")),
            BadInput(text: "m{a=\"x\",a=\"y\"} 1\n", line: 1, column: 9, reason: .duplicateLabel("a")),
            BadInput(text: "m{a=x} 1\n", line: 1, column: 5, reason: .expected("'\"' to open the value of label a")),
            BadInput(text: "m abc\n", line: 1, column: 3, reason: .invalidValue("abc")),
            BadInput(text: "m\n", line: 1, column: 2, reason: .expected("a value")),
            BadInput(text: "m 1 12.5\n", line: 1, column: 5, reason: .invalidTimestamp("12.5")),
            BadInput(text: "m 1 2 3\n", line: 1, column: 7, reason: .unexpectedText("3")),
            BadInput(text: "m 1\r\n", line: 1, column: 4, reason: .carriageReturn),
            BadInput(text: "# TYPE m countr\n", line: 1, column: 10, reason: .unknownType("countr")),
            BadInput(text: "# TYPE m gauge\n# TYPE m gauge\n", line: 2, column: 8, reason: .duplicateType(metric: "m")),
            BadInput(text: "# HELP m a\n# HELP m b\n", line: 2, column: 8, reason: .duplicateHelp(metric: "m")),
            BadInput(text: "m 1\n# TYPE m gauge\n", line: 2, column: 8, reason: .typeAfterSamples(metric: "m")),
            BadInput(text: "a 1\nb 2\na{x=\"1\"} 3\n", line: 3, column: 1, reason: .familyNotContiguous(metric: "a", firstLine: 1)),
            BadInput(text: "a{x=\"1\"} 1\na{x=\"1\"} 2\n", line: 2, column: 1, reason: .duplicateSeries("a{x=\"1\"}")),
            BadInput(text: "# TYPE h histogram\nh_bucket 1\n", line: 2, column: 1, reason: .missingLabel(metric: "h_bucket", label: "le")),
            BadInput(text: "# TYPE s summary\ns 1\n", line: 2, column: 1, reason: .missingLabel(metric: "s", label: "quantile")),
        ])
    func badInput(_ input: BadInput) {
        #expect(throws: ExpositionError(line: input.line, column: input.column, reason: input.reason)) {
            try parser.parse(input.text)
        }
    }

    @Test("the error message says where and what")
    func errorMessage() {
        do {
            _ = try parser.parse("good 1\n# TYPE bad countr\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "line 2, column 12: unknown metric type \"countr\" (expected counter, gauge, histogram, summary or untyped)")
        }
    }
}
