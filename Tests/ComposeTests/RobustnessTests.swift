import Foundation
import Testing

@testable import Compose

/// Broken variants of real files never crash the loader: each either loads or throws `ComposeError`
/// with located diagnostics.
@Suite("Compose robustness")
struct RobustnessTests {
    static let sources = [
        Fixture.acceptanceDirectory + "/dockprom/docker-compose.yml",
        Fixture.acceptanceDirectory + "/vegasbrianc-prometheus/docker-compose.yml",
        Fixture.stacksDirectory + "/monitoring.yml",
    ]

    @Test("deleting any one line, or cutting the file at any line, gives a project or located errors", arguments: sources)
    func lineMutations(_ source: String) throws {
        let text = try String(contentsOfFile: source, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let dir = try Fixture.directory([:])
        defer { Fixture.cleanup(dir) }
        // Relative bind sources and env files resolve against the original directory.
        let projectDirectory = (source as NSString).deletingLastPathComponent
        var rejected = 0
        for i in lines.indices {
            for variant in [lines.enumerated().filter { $0.offset != i }.map(\.element), Array(lines[..<i])] {
                let file = dir + "/compose.yaml"
                try variant.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
                do {
                    _ = try ComposeLoader().load(
                        ComposeLoadOptions(
                            files: [file], projectName: "sptest", projectDirectory: projectDirectory,
                            environment: [:]))
                } catch {
                    rejected += 1
                    switch error {
                    case .invalid(let list):
                        #expect(!list.isEmpty)
                        for d in list {
                            #expect(d.file == file || d.file.hasPrefix(projectDirectory))
                            #expect(d.line >= 1 && d.column >= 1)
                            #expect(!d.message.isEmpty)
                        }
                    case .unreadable, .usage:
                        Issue.record("unexpected \(error) for line \(i + 1)")
                    }
                }
            }
        }
        #expect(rejected > 0, "no variant was rejected: the mutations did not exercise validation")
    }

    @Test("columns point at the offending key or value")
    func columns() throws {
        let (diagnostics, _) = try Fixture.diagnostics("services:\n  a:\n    image: x\n    imgae: y\n    ports: [\"80\", \"http\"]\n")
        let key = try #require(diagnostics.first { $0.path == "services.a.imgae" })
        #expect(key.line == 4 && key.column == 5)
        let port = try #require(diagnostics.first { $0.path == "services.a.ports[1]" })
        #expect(port.line == 5 && port.column == 19)
    }

    @Test("a large port range and deep anchors load without trouble")
    func largeInputs() throws {
        let (project, _) = try Fixture.load(
            """
            x-base: &base
              image: x
              labels: {a: "1"}
            services:
              a:
                <<: *base
                ports: ["10000-10999:20000-20999"]
            """)
        #expect(project.service(named: "a")?.ports.count == 1000)
        #expect(project.service(named: "a")?.ports.last?.published == "10999")
    }
}
