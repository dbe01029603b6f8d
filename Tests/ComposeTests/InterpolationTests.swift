import Testing

@testable import Compose

@Suite("Interpolation")
struct InterpolationTests {
    static let environment = ["A": "a", "EMPTY": "", "NUM": "5", "lower": "l", "_U": "u"]

    struct Case: CustomTestStringConvertible, Sendable {
        var input: String
        var expected: String
        var testDescription: String { "\"\(input)\" -> \"\(expected)\"" }
    }

    static let cases: [Case] = [
        Case(input: "plain text", expected: "plain text"),
        Case(input: "$A", expected: "a"),
        Case(input: "${A}", expected: "a"),
        Case(input: "x${A}y", expected: "xay"),
        Case(input: "$A$A", expected: "aa"),
        Case(input: "$A-suffix", expected: "a-suffix"),
        Case(input: "${A}_${NUM}", expected: "a_5"),
        Case(input: "${lower}", expected: "l"),
        Case(input: "$_U", expected: "u"),
        Case(input: "${UNSET}", expected: ""),
        Case(input: "$UNSET", expected: ""),
        Case(input: "${UNSET:-d}", expected: "d"),
        Case(input: "${EMPTY:-d}", expected: "d"),
        Case(input: "${EMPTY-d}", expected: ""),
        Case(input: "${UNSET-d}", expected: "d"),
        Case(input: "${A:-d}", expected: "a"),
        Case(input: "${A-d}", expected: "a"),
        Case(input: "${UNSET:-a b c}", expected: "a b c"),
        Case(input: "${UNSET:-}", expected: ""),
        Case(input: "${A:+r}", expected: "r"),
        Case(input: "${EMPTY:+r}", expected: ""),
        Case(input: "${EMPTY+r}", expected: "r"),
        Case(input: "${UNSET+r}", expected: ""),
        Case(input: "${UNSET:+r}", expected: ""),
        Case(input: "${A:?must be set}", expected: "a"),
        Case(input: "${EMPTY?must be set}", expected: ""),
        Case(input: "${UNSET:-${A}}", expected: "a"),
        Case(input: "${UNSET:-${UNSET2:-deep}}", expected: "deep"),
        Case(input: "${UNSET:-pre-${A}-post}", expected: "pre-a-post"),
        Case(input: "${A:+${NUM}x}", expected: "5x"),
        Case(input: "$$", expected: "$"),
        Case(input: "$$A", expected: "$A"),
        Case(input: "$${A}", expected: "${A}"),
        Case(input: "a$", expected: "a$"),
        Case(input: "$ a", expected: "$ a"),
        Case(input: "$1", expected: "$1"),
        Case(input: "cost: 5$", expected: "cost: 5$"),
        // dockprom and vegasbrianc: `$$` inside a regular expression.
        Case(
            input: "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($$|/)",
            expected: "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)"),
        Case(
            input: "^/(sys|proc|dev|host|etc|rootfs/var/lib/docker/containers)($$|/)",
            expected: "^/(sys|proc|dev|host|etc|rootfs/var/lib/docker/containers)($|/)"),
        // dockprom: a bcrypt default full of bare `$` followed by digits.
        Case(
            input: "${ADMIN_PASSWORD_HASH:-$2a$14$1l.IozJx7xQRVmlkEQ32OeEEfP5mRxTpbDTCTcXRqn19gXD8YK1pO}",
            expected: "$2a$14$1l.IozJx7xQRVmlkEQ32OeEEfP5mRxTpbDTCTcXRqn19gXD8YK1pO"),
        Case(input: "$2a$14$1lX", expected: "$2a$14$1lX"),
        // A `$` followed by a name is a variable, even inside a hash: compose does the same.
        Case(input: "$2a$abc", expected: "$2a"),
        Case(input: "${UNSET:-$$literal}", expected: "$literal"),
    ]

    @Test("valid forms interpolate as the compose spec says", arguments: cases)
    func valid(_ c: Case) throws {
        let out = try Interpolation.interpolate(c.input, lookup: { Self.environment[$0] })
        #expect(out == c.expected)
    }

    struct FailureCase: CustomTestStringConvertible, Sendable {
        var input: String
        var expected: Interpolation.Failure
        var testDescription: String { "\"\(input)\" fails" }
    }

    static let failures: [FailureCase] = [
        FailureCase(input: "${UNSET:?must be set}", expected: .required(variable: "UNSET", message: "must be set")),
        FailureCase(input: "${EMPTY:?empty is not enough}", expected: .required(variable: "EMPTY", message: "empty is not enough")),
        FailureCase(input: "${UNSET?gone}", expected: .required(variable: "UNSET", message: "gone")),
        FailureCase(input: "${UNSET:?}", expected: .required(variable: "UNSET", message: "")),
        FailureCase(input: "${UNSET:?need ${A}}", expected: .required(variable: "UNSET", message: "need a")),
        FailureCase(input: "${}", expected: .invalidTemplate("${}")),
        FailureCase(input: "${1A}", expected: .invalidTemplate("${1A}")),
        FailureCase(input: "x${A", expected: .invalidTemplate("${A")),
        FailureCase(input: "${A:x}", expected: .invalidTemplate("${A:x}")),
        FailureCase(input: "${A!}", expected: .invalidTemplate("${A!}")),
        FailureCase(input: "${A B}", expected: .invalidTemplate("${A B}")),
    ]

    @Test("invalid or missing required values fail with a precise reason", arguments: failures)
    func invalid(_ c: FailureCase) {
        #expect(throws: c.expected) {
            try Interpolation.interpolate(c.input, lookup: { Self.environment[$0] })
        }
    }

    @Test("variables used without a value are reported, each once per use")
    func unsetReported() throws {
        var unset: [String] = []
        let out = try Interpolation.interpolate("${X}-$Y-${Z:-z}-${A}", lookup: { Self.environment[$0] }, unset: { unset.append($0) })
        #expect(out == "--z-a")
        #expect(unset == ["X", "Y"])
    }

    @Test("keys are never interpolated, values are")
    func keysUntouched() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              web:
                image: ${IMAGE:-nginx}
                labels:
                  $KEEP: ${A}
            """, environment: ["A": "a", "KEEP": "no"])
        let web = try #require(project.service(named: "web"))
        #expect(web.image == "nginx")
        #expect(web.labels == ["$KEEP": "a"])
    }
}
