import Compose
import Foundation
import TestSupport
import Testing

/// The shipped stacks and scripts/up, as issue 16 left them: nothing reachable that should not be,
/// secrets in a 0600 file, public images pinned.
@Suite("Stacks and scripts/up: hardening")
struct StackHardeningTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func projects(environment: [String: String] = [:]) throws -> (monitoring: ComposeProject, app: ComposeProject) {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-hardening-\(UUID().uuidString.prefix(8)).env")
        try Data().write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        let projects = try Manifest.load(path: repository.appendingPathComponent("stacks/stackpilot.yml").path)
            .loadProjects(environment: environment, envFiles: [empty.path])
        return (projects[0], projects[1])
    }

    @Test("Prometheus runs without --web.enable-lifecycle, and nothing in the sources posts /-/reload or /-/quit")
    func noLifecycleAPI() throws {
        let prometheus = try #require(try Self.projects().monitoring.service(named: "prometheus"))
        #expect(!(prometheus.command ?? []).contains { $0.hasPrefix("--web.enable-lifecycle") })
        let sources = Self.repository.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        let posting = try files.filter { file in
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            return text.contains("\"/-/reload\"") || text.contains("\"/-/quit\"")
        }
        #expect(posting.isEmpty, "\(posting)")
    }

    @Test("the public images default to tag and digest")
    func pinnedImages() throws {
        let monitoring = try Self.projects().monitoring
        for name in ["prometheus", "grafana", "node-exporter"] {
            let image = try #require(monitoring.service(named: name)?.image)
            let parts = image.split(separator: "@")
            #expect(parts.count == 2 && parts[0].contains(":") && parts[1].hasPrefix("sha256:") && parts[1].count == 71, "\(name): \(image)")
        }
    }

    @Test("the stand-ins are told to listen on every address of their container; workload-sim's admin token comes from the env file")
    func listenAndToken() throws {
        let (monitoring, app) = try Self.projects(environment: ["WORKLOAD_ADMIN_TOKEN": "from-the-environment-0123456789"])
        #expect(monitoring.service(named: "grafana")?.environment["GF_SERVER_HTTP_ADDR"] == "0.0.0.0")
        for name in ["api", "model-api"] {
            let service = try #require(app.service(named: name))
            #expect(service.environment["LISTEN_HOST"] == "0.0.0.0", "\(name)")
            #expect(service.environment["WORKLOAD_ADMIN_TOKEN"] == "from-the-environment-0123456789", "\(name)")
        }
        // Without a token, the variable is empty: /admin is off.
        #expect(try Self.projects().app.service(named: "model-api")?.environment["WORKLOAD_ADMIN_TOKEN"] == "")
    }

    struct Script: Sendable {
        var status: Int32
        var output: String
    }

    static func stackEnv(_ arguments: [String]) throws -> Script {
        let result = try Subprocess.run(repository.appendingPathComponent("scripts/stack-env").path, arguments)
        return Script(status: result.status, output: result.output)
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test(
        "scripts/up's env file (scripts/stack-env) is created 0600, keeps the mode it has, keeps other lines, and generates the admin token once without printing it"
    )
    func envFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-stackenv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(".env").path

        let first = try Self.stackEnv([file, "--drop", "PROMETHEUS_IMAGE", "--generate", "WORKLOAD_ADMIN_TOKEN", "API_IMAGE=local/api:1"])
        #expect(first.status == 0, "\(first.output)")
        #expect(try Self.mode(file) == 0o600)
        let token = try #require(
            try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("WORKLOAD_ADMIN_TOKEN=") }?.dropFirst("WORKLOAD_ADMIN_TOKEN=".count))
        #expect(token.count == 64)
        #expect(!first.output.contains(token))

        // A file the user made 0640, with lines of their own: the mode, their lines and the token stay.
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file)
        try (String(contentsOfFile: file, encoding: .utf8) + "GRAFANA_ADMIN_PASSWORD=kept\nPROMETHEUS_IMAGE=old\n").write(
            toFile: file, atomically: false, encoding: .utf8)
        let second = try Self.stackEnv([file, "--drop", "PROMETHEUS_IMAGE", "--generate", "WORKLOAD_ADMIN_TOKEN", "API_IMAGE=local/api:2"])
        #expect(second.status == 0, "\(second.output)")
        #expect(try Self.mode(file) == 0o640)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.sorted() == ["API_IMAGE=local/api:2", "GRAFANA_ADMIN_PASSWORD=kept", "WORKLOAD_ADMIN_TOKEN=\(token)"])
    }

    @Test("bad arguments to scripts/stack-env exit 2 and change nothing", arguments: [["1BAD=x"], ["--drop"], ["--generate", "A-B"], ["stray"]])
    func badArguments(_ arguments: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-stackenv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(".env").path
        try "KEEP=1\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(try Self.stackEnv([file] + arguments).status == 2)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "KEEP=1\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [".env"])
    }
}
