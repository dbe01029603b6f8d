import Foundation
import Testing

@testable import Compose

/// Small files built to cost a lot: each must be refused (or loaded) with a located error in bounded
/// time and memory. The assertions are outcomes; times and sizes are measured on the binary by
/// `scripts/bench hostile`, never asserted here.
@Suite("Compose hostile input")
struct HostileInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var files: [String: String]
        var path: String
        var message: String
        var testDescription: String { name }
    }

    /// Nine levels of nine aliases: 9^7 (4.8 million) strings from a file of about 330 bytes.
    static let billionLaughs: String = {
        var lines = ["x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        let names = ["a", "b", "c", "d", "e", "f", "g"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\nservices:\n  a:\n    image: x\n    command: *g\n"
    }()

    /// `${V0:-${V1:-...}}` nested 4,000 deep (about 30 KB).
    static let nestedDefaults: String = {
        let depth = 4_000
        var text = ""
        for i in 0..<depth { text += "${V\(i):-" }
        text += "x" + String(repeating: "}", count: depth)
        return "services:\n  a:\n    image: \"\(text)\"\n"
    }()

    /// 60,000 services, each depending on the next, the last on the first.
    static let longCycle: String = {
        let count = 60_000
        var text = "services:\n"
        text.reserveCapacity(count * 48)
        for i in 0..<count {
            text += "  s\(i):\n    image: x\n    depends_on: [s\((i + 1) % count)]\n"
        }
        return text
    }()

    /// 10,000 services (the most one file may define), each depending on the next, the last on the first.
    static let cycleAtTheLimit: String = {
        let count = Normaliser.maximumServices
        var text = "services:\n"
        for i in 0..<count { text += "  s\(i):\n    image: x\n    depends_on: [s\((i + 1) % count)]\n" }
        return text
    }()

    /// One service more than a file may define, in a file well under the size limit.
    static let tooManyServices: String = "services:\n" + (0...Normaliser.maximumServices).map { " s\($0): {image: x}\n" }.joined()

    /// A .env file of about 390 KB whose first value opens a double quote that never closes.
    static let unclosedQuote: String = "A=\"open\n" + String(repeating: "LINE_OF_TEXT=some value that goes on\n", count: 10_000)

    static let cases: [Case] = [
        Case(
            name: "YAML alias expansion (billion laughs)", files: ["compose.yaml": billionLaughs], path: "",
            message: "YAML aliases expand this document beyond 100000 extra nodes"),
        Case(
            name: "nested ${A:-${B:-...}} defaults", files: ["compose.yaml": nestedDefaults], path: "services.a.image",
            message: "interpolation nested more than 32 levels deep"),
        // Refused before parsing: 2.9 MB is over ComposeLoader.maximumFileSize.
        Case(
            name: "a depends_on cycle through 60,000 services", files: ["compose.yaml": longCycle], path: "",
            message: "compose file too large: 2857790 bytes (at most 1048576)"),
        Case(
            name: "a file of 10,001 services (dense, under the size limit)", files: ["compose.yaml": tooManyServices], path: "services",
            message: "too many services: 10001 (at most 10000 in one file)"),
        Case(
            name: "a depends_on cycle through 10,000 services", files: ["compose.yaml": cycleAtTheLimit], path: "services.s0.depends_on",
            message: "dependency cycle: s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> ... (9990 more) -> s9996 -> s9997 -> s9998 -> s9999 -> s0"),
        Case(
            name: "a .env file with an unclosed quote", files: ["compose.yaml": "services:\n  a:\n    image: x\n", ".env": unclosedQuote],
            path: "", message: "unterminated double-quoted value for A"),
        Case(
            name: "an env_file with an unclosed single quote",
            files: [
                "compose.yaml": "services:\n  a:\n    image: x\n    env_file: big.env\n",
                "big.env": "A='open\n" + String(repeating: "B=some value\n", count: 30_000),
            ],
            path: "", message: "unterminated single-quoted value for A"),
    ]

    @Test("a hostile file is refused with a located error", arguments: cases)
    func refused(_ c: Case) throws {
        var files = c.files
        let yaml = files.removeValue(forKey: "compose.yaml")!
        let (diagnostics, _) = try Fixture.diagnostics(yaml, extra: files)
        let match = diagnostics.first { $0.path == c.path && $0.message.contains(c.message) }
        #expect(
            match != nil, "no diagnostic at \(c.path) containing \"\(c.message)\"; got:\n\(diagnostics.prefix(5).map(\.description).joined(separator: "\n"))")
        #expect(match?.line ?? 0 >= 1)
    }

    @Test("aliases within the allowance still load (anchors shared by many services)")
    func modestAliases() throws {
        var yaml = "x-env: &env {A: \"1\", B: \"2\", C: \"3\"}\nservices:\n"
        for i in 0..<500 { yaml += "  s\(i):\n    image: x\n    environment: *env\n" }
        let (project, _) = try Fixture.load(yaml)
        #expect(project.services.count == 500)
        #expect(project.services.allSatisfy { $0.environment == ["A": "1", "B": "2", "C": "3"] })
    }

    @Test("defaults nested up to the limit still interpolate")
    func nestingAtTheLimit() throws {
        func nested(_ depth: Int) -> String {
            (0..<depth).map { "${V\($0):-" }.joined() + "x" + String(repeating: "}", count: depth)
        }
        #expect(try Interpolation.interpolate(nested(Interpolation.maximumNesting), lookup: { _ in nil }) == "x")
        #expect(try Interpolation.interpolate(nested(5_000), lookup: { $0 == "V0" ? "set" : nil }) == "set")
        #expect(throws: Interpolation.Failure.nestedTooDeep(limit: Interpolation.maximumNesting)) {
            try Interpolation.interpolate(nested(Interpolation.maximumNesting + 1), lookup: { _ in nil })
        }
    }

    @Test("a chain of 60,000 dependencies orders without recursion")
    func longChain() throws {
        let count = 60_000
        var dependencies: [String: [String]] = [:]
        for i in 0..<count { dependencies["s\(i)"] = i + 1 < count ? ["s\(i + 1)"] : [] }
        let graph = DependencyGraph(dependencies: dependencies)
        #expect(graph.firstCycle() == nil)
        let order = try #require(graph.startOrder())
        #expect(order.count == count)
        #expect(order.first == "s\(count - 1)")
        #expect(order.last == "s0")
        #expect(graph.levels()?.count == count)
    }

    @Test("start order and levels keep their ties by name and refuse a cycle")
    func graphShapes() {
        let graph = DependencyGraph(dependencies: ["web": ["api", "db"], "api": ["db"], "db": [], "cache": [], "worker": ["db"]])
        #expect(graph.levels() == [["cache", "db"], ["api", "worker"], ["web"]])
        #expect(graph.startOrder() == ["cache", "db", "api", "worker", "web"])
        let cyclic = DependencyGraph(dependencies: ["a": ["b"], "b": ["c"], "c": ["a"], "d": []])
        #expect(cyclic.levels() == nil)
        #expect(cyclic.firstCycle() == ["a", "b", "c", "a"])
    }

    @Test("a multi-line double-quoted .env value still reads across lines, with escapes")
    func multiLineValue() throws {
        let entries = try DotEnv.parse("A=\"one\\\\\ntwo \\\"three\\\"\nfour\"\nB=after\n", file: ".env", lookup: { _ in nil })
        #expect(entries.map(\.key) == ["A", "B"])
        #expect(entries.first?.value == "one\\\ntwo \"three\"\nfour")
        #expect(entries.last?.line == 4)
    }
}
