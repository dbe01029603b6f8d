import Foundation
import TestSupport
import Testing

/// The tool-presence gates honour STACKPILOT_REQUIRE_ENGINE=1 as the engine gate does, so a CI run
/// cannot pass by skipping the tests whose tool is missing.
@Suite("Tool gates")
struct ToolGateTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var available: Bool
        var environment: [String: String]
        var runs: Bool
        var testDescription: String { "available: \(available), \(environment)" }
    }

    @Test(
        "a test whose tool is missing is skipped, unless STACKPILOT_REQUIRE_ENGINE=1 makes it run (and fail)",
        arguments: [
            Case(available: true, environment: [:], runs: true),
            Case(available: false, environment: [:], runs: false),
            Case(available: false, environment: ["STACKPILOT_REQUIRE_ENGINE": "1"], runs: true),
            Case(available: false, environment: ["STACKPILOT_REQUIRE_ENGINE": "0"], runs: false),
            Case(available: true, environment: ["STACKPILOT_REQUIRE_ENGINE": "1"], runs: true),
        ])
    func gate(_ c: Case) {
        #expect(ToolGate.runs(if: c.available, for: "a test", needing: "a tool", environment: c.environment) == c.runs)
    }

    @Test("require names every missing tool and passes when all are there")
    func require() throws {
        let error = try #require(throws: ToolGate.Missing.self) { try ToolGate.require("/bin/sh", "/nonexistent/tool-a", "/nonexistent/tool-b") }
        #expect(error.paths == ["/nonexistent/tool-a", "/nonexistent/tool-b"])
        try ToolGate.require("/bin/sh")
    }

    /// Each `.enabled(if:` in the tests, with its file and line.
    static func conditions() throws -> [(place: String, condition: String)] {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let files = try #require(FileManager.default.enumerator(atPath: tests.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        var found: [(String, String)] = []
        for file in files.sorted() where !file.hasSuffix("ToolGateTests.swift") {
            let lines = try String(contentsOf: tests.appendingPathComponent(file), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() {
                guard let range = line.range(of: ".enabled(if:") else { continue }
                found.append(("\(file):\(index + 1)", String(line[range.upperBound...])))
            }
        }
        return found
    }

    @Test("no test gates on a tool's presence by itself: every such gate goes through ToolGate")
    func everyGateHonoursRequire() throws {
        let conditions = try Self.conditions()
        #expect(!conditions.isEmpty)
        let bypassing = conditions.filter { c in
            ["isExecutableFile", "isInstalled", "fileExists", "!= nil"].contains { c.condition.contains($0) } && !c.condition.contains("ToolGate")
        }
        #expect(bypassing.isEmpty, "gates that skip without honouring STACKPILOT_REQUIRE_ENGINE: \(bypassing.map(\.place))")
    }
}
