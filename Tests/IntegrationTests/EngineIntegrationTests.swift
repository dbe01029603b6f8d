import DockerEngine
import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import StackPilotCommands

@Suite("Docker engine, for real", .serialized, .requiresEngine)
struct EngineIntegrationTests {
    @Test("ping, version and info answer and agree on the negotiated API version")
    func systemCalls() async throws {
        let engine = try await TestEngine.client()
        let ping = try await engine.ping()
        let engineMax = try #require(ping.apiVersion)
        let version = try await engine.version()
        let info = try await engine.info()
        let negotiated = try await engine.apiVersion()
        #expect(negotiated == min(engineMax, DockerEngine.APIVersion.maximumSupported))
        #expect(DockerEngine.APIVersion(version.apiVersion) == engineMax)
        #expect(!version.version.isEmpty)
        #expect(info.osType == "linux")
        #expect(["1", "2"].contains(info.cgroupVersion ?? ""))
    }

    @Test("a FROM scratch busybox image builds, runs, logs to both streams, is inspected, waited for and removed")
    func containerLifecycle() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let inspectedImage = try await engine.inspectImage(image)
            #expect(inspectedImage.config?.labels?["stackpilot.test.image"] == "busybox")

            var config = DockerEngine.ContainerConfig(
                image: image, cmd: ["sh", "-c", "echo hello from $GREETING; echo to-stderr >&2; exit 3"], env: ["GREETING=stackpilot"], labels: fixture.labels)
            config.hostConfig = DockerEngine.HostConfig()
            config.hostConfig?.memory = 64 << 20
            config.hostConfig?.tmpfs = ["/scratch": "size=1m"]
            config.hostConfig?.capDrop = ["ALL"]
            let name = fixture.name("run")
            let created = try await engine.createContainer(name: name, config)
            fixture.removeContainerLater(created.id)

            let before = try await engine.inspectContainer(name)
            #expect(before.id == created.id)
            #expect(before.state?.status == .created)
            #expect(before.config?.env?.contains("GREETING=stackpilot") == true)
            #expect(before.hostConfig?.memory == 64 << 20)
            #expect(before.name == "/\(name)")

            try await engine.startContainer(created.id)
            let waited = try await engine.waitContainer(created.id, timeout: .seconds(60))
            #expect(waited.statusCode == 3)

            let logs = try await engine.logs(created.id).collect()
            #expect(String(decoding: logs.stdout, as: UTF8.self) == "hello from stackpilot\n")
            #expect(String(decoding: logs.stderr, as: UTF8.self) == "to-stderr\n")

            let after = try await engine.inspectContainer(created.id)
            #expect(after.state?.status == .exited)
            #expect(after.state?.exitCode == 3)

            let listed = try await engine.listContainers(all: true, filters: .init().label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
            #expect(listed.map(\.id) == [created.id])

            try await engine.removeContainer(created.id)
            let gone = await #expect(throws: DockerEngine.Error.self) { try await engine.inspectContainer(created.id) }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test("a long-running container stops within its grace period, and restart/kill work")
    func stopRestartKill() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let config = DockerEngine.ContainerConfig(image: image, cmd: ["sleep", "600"], labels: fixture.labels)
            let created = try await engine.createContainer(name: fixture.name("sleeper"), config)
            fixture.removeContainerLater(created.id)
            try await engine.startContainer(created.id)
            try await engine.startContainer(created.id)  // already running: not an error (304)
            #expect(try await engine.inspectContainer(created.id).state?.running == true)

            try await engine.restartContainer(created.id, timeout: 1)
            #expect(try await engine.inspectContainer(created.id).state?.running == true)

            try await engine.stopContainer(created.id, timeout: 1)
            let stopped = try await engine.inspectContainer(created.id)
            #expect(stopped.state?.running == false)

            try await engine.startContainer(created.id)
            try await engine.killContainer(created.id, signal: "SIGKILL")
            let killed = try await engine.waitContainer(created.id, timeout: .seconds(30))
            #expect(killed.statusCode == 137)

            let conflict = await #expect(throws: DockerEngine.Error.self) {
                _ = try await engine.createContainer(name: fixture.name("sleeper"), config)
            }
            #expect(conflict?.isConflict == true)
        }
    }

    @Test("streamed logs with follow deliver lines as the container writes them")
    func followLogs() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let config = DockerEngine.ContainerConfig(
                image: image, cmd: ["sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.2; done"], labels: fixture.labels)
            let created = try await engine.createContainer(name: fixture.name("follow"), config)
            fixture.removeContainerLater(created.id)
            try await engine.startContainer(created.id)
            var text = ""
            for try await frame in try await engine.logs(created.id, options: .init(follow: true)) {
                #expect(frame.source == .stdout)
                text += frame.text
            }
            #expect(text == "line-1\nline-2\nline-3\n")
        }
    }

    @Test("network lifecycle: create with labels, connect with an alias, inspect, disconnect, remove")
    func networkLifecycle() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let network = try await engine.createNetwork(.init(name: fixture.name("net"), labels: fixture.labels))
            fixture.removeNetworkLater(network.id)

            let listed = try await engine.listNetworks(filters: .init().label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
            #expect(listed.map(\.name) == [fixture.name("net")])

            let container = try await engine.createContainer(
                name: fixture.name("member"), DockerEngine.ContainerConfig(image: image, cmd: ["sleep", "600"], labels: fixture.labels))
            fixture.removeContainerLater(container.id)
            try await engine.startContainer(container.id)
            try await engine.connectNetwork(network.id, container: container.id, endpoint: .init(aliases: ["db"]))

            let inspected = try await engine.inspectNetwork(network.id)
            #expect(inspected.containers?.keys.contains(container.id) == true)
            let settings = try await engine.inspectContainer(container.id).networkSettings?.networks?[fixture.name("net")]
            #expect(settings?.aliases?.contains("db") == true)

            try await engine.disconnectNetwork(network.id, container: container.id)
            #expect(try await engine.inspectNetwork(network.id).containers?.isEmpty ?? true)
            try await engine.removeNetwork(network.id)
            let gone = await #expect(throws: DockerEngine.Error.self) { try await engine.inspectNetwork(network.id) }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test("volume lifecycle: create, list by label, inspect, remove")
    func volumeLifecycle() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let name = fixture.name("data")
            let created = try await engine.createVolume(.init(name: name, labels: fixture.labels))
            fixture.removeVolumeLater(name)
            #expect(created.name == name)
            #expect(created.labels?[EngineFixture.labelKey] == fixture.prefix)
            let listed = try await engine.listVolumes(filters: .init().label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
            #expect(listed.map(\.name) == [name])
            #expect(try await engine.inspectVolume(name).driver == "local")
            try await engine.removeVolume(name)
            let gone = await #expect(throws: DockerEngine.Error.self) { try await engine.inspectVolume(name) }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test("the events stream reports start and die of a container")
    func events() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let since = Date()
            let created = try await engine.createContainer(
                name: fixture.name("evt"), DockerEngine.ContainerConfig(image: image, cmd: ["true"], labels: fixture.labels))
            fixture.removeContainerLater(created.id)
            let stream = try await engine.events(
                filters: .init().type("container").label("\(EngineFixture.labelKey)=\(fixture.prefix)"),
                since: since, until: Date().addingTimeInterval(60))
            try await engine.startContainer(created.id)
            var actions: [String] = []
            for try await event in stream where event.actor?.id == created.id {
                actions.append(event.action ?? "")
                if event.action == "die" { break }
            }
            #expect(actions.contains("start"))
            #expect(actions.last == "die")
        }
    }

    @Test("one-shot stats of a running container decode")
    func oneShotStats() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let created = try await engine.createContainer(
                name: fixture.name("stats"), DockerEngine.ContainerConfig(image: image, cmd: ["sleep", "600"], labels: fixture.labels))
            fixture.removeContainerLater(created.id)
            try await engine.startContainer(created.id)
            let stats = try await engine.stats(created.id)
            #expect(stats.id == created.id)
            #expect(stats.pidsStats.current >= 1)
            #expect(stats.cpuStats.cpuUsage.totalUsage > 0)

            var samples = 0
            for try await sample in try await engine.streamStats(created.id) {
                #expect(sample.id == created.id)
                samples += 1
                if samples == 2 { break }
            }
            #expect(samples == 2)
        }
    }

    @Test("an image is tagged, listed by reference and removed")
    func imageTagAndRemove() async throws {
        try await EngineFixture.with(area: "engine") { fixture in
            let engine = fixture.engine
            let image = try await TestImages.busybox(engine)
            let tag = "stackpilot-test/\(fixture.prefix):tagged"
            try await engine.tagImage(image, as: tag)
            fixture.removeImageLater(tag)
            let listed = try await engine.listImages(filters: .init().reference("stackpilot-test/\(fixture.prefix)"))
            #expect(listed.first?.repoTags?.contains(tag) == true)
            let removed = try await engine.removeImage(tag)
            #expect(removed.contains { $0.untagged == tag })
        }
    }

    @Test("a build whose Dockerfile fails reports the engine's error as .stream")
    func failingBuild() async throws {
        let engine = try await TestEngine.client()
        var tar = DockerEngine.TarWriter()
        try tar.addFile("Dockerfile", text: "FROM scratch\nCOPY does-not-exist /x\n")
        let error = await #expect(throws: DockerEngine.Error.self) {
            _ = try await engine.build(context: tar.finish(), options: .init(tags: ["stackpilot-test/broken:never"]))
        }
        guard case .stream(let message)? = error else {
            Issue.record("expected .stream, got \(String(describing: error))")
            return
        }
        #expect(message.contains("does-not-exist"))
    }

    @Test("pulling an image that cannot be had fails with the engine's reason, within the time limit")
    func pullFails() async throws {
        let engine = try await TestEngine.client()
        let reference = "registry.invalid/stackpilot-test/none:0"
        let error = await #expect(throws: DockerEngine.Error.self) {
            try await engine.pull(reference, timeout: .seconds(60))
        }
        let text = error?.description ?? ""
        #expect(text.contains("registry.invalid"), "\(text)")
        #expect(!(error?.isEngineUnreachable ?? true))
    }

    @Test("a missing container is .http 404 with the engine's message")
    func notFound() async throws {
        let engine = try await TestEngine.client()
        let error = await #expect(throws: DockerEngine.Error.self) { try await engine.inspectContainer("sptest-engine-does-not-exist") }
        #expect(error?.isNotFound == true)
        #expect(error?.description.contains("sptest-engine-does-not-exist") == true)
    }

    @Test("a socket nobody listens on gives one sentence naming it and how to start an engine")
    func deadSocket() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-engine-dead-\(UUID().uuidString).sock").path
        let engine = try DockerEngine.Client(host: DockerEngine.Host.resolve(host: "unix://\(path)"))
        let error = await #expect(throws: DockerEngine.Error.self) { try await engine.version() }
        #expect(error?.isEngineUnreachable == true)
        let text = error?.description ?? ""
        #expect(text.contains(path))
        #expect(text.contains("sudo dockerd"))
        #expect(!text.contains("\n"))
    }
}

/// `stackpilot version` as a user runs it: the built binary, its stdout, stderr and exit code.
@Suite("stackpilot version, for real", .requiresEngine)
struct VersionCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `.build/debug/stackpilot`, built by `swift build --build-tests` (scripts/test).
    static let binary: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/stackpilot")

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let result = try Subprocess.run(binary.path, arguments, environment: ["NO_COLOR": "1"].merging(environment) { $1 }, separateErrors: true)
        return Run(status: result.status, stdout: result.output, stderr: result.errors)
    }

    @Test("--format json reports the client, the engine and the negotiated API version the client also sees")
    func json() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the stackpilot product first (swift build)")
        let engine = try await TestEngine.client()
        let version = try await engine.version()
        let run = try Self.run(["version", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Any]])
        #expect(json["client"]?["version"] as? String == "0.1.0")
        #expect(json["engine"]?["version"] as? String == version.version)
        #expect(json["engine"]?["negotiatedAPIVersion"] as? String == (try await engine.apiVersion()).description)
        #expect(["1", "2"].contains(json["engine"]?["cgroupVersion"] as? String ?? ""))
    }

    @Test("the table names the endpoint and the negotiated API; no colour codes with NO_COLOR")
    func table() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path))
        let run = try Self.run(["version"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Negotiated API:"))
        #expect(run.stdout.contains("Endpoint:"))
        #expect(!run.stdout.contains("\u{1B}["))
    }

    @Test("a dead socket is one sentence on stderr naming it, exit 1, nothing on stdout")
    func deadSocket() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path))
        let path = "/tmp/sptest-engine-nosock-\(UInt32.random(in: 0...UInt32.max)).sock"
        let run = try Self.run(["version", "-H", "unix://\(path)"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains(path))
        #expect(run.stderr.contains("sudo dockerd"))
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var environment: [String: String]
        var mentions: String
        var testDescription: String { "\(arguments) \(environment)" }
    }

    @Test(
        "bad input exits 2 with the reason, before reaching any engine",
        arguments: [
            BadInput(arguments: ["version", "--format", "xml"], environment: [:], mentions: "'xml' is invalid"),
            BadInput(arguments: ["version", "--no-such-flag"], environment: [:], mentions: "Unknown option"),
            BadInput(arguments: ["version", "-H", "tcp://127.0.0.1:2375"], environment: [:], mentions: "STACKPILOT_ALLOW_PLAIN_TCP=1"),
            BadInput(arguments: ["version"], environment: ["DOCKER_HOST": "ftp://x"], mentions: "unknown scheme"),
            BadInput(arguments: ["version"], environment: ["DOCKER_API_VERSION": "1.12"], mentions: "DOCKER_API_VERSION=1.12"),
        ])
    func badInput(_ input: BadInput) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path))
        let run = try Self.run(input.arguments, environment: input.environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(input.mentions), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
}

/// The shared output renderer and error reporting (no engine needed; kept with the version tests).
@Suite("Output rendering and error reporting")
struct OutputRenderingTests {
    struct Row: OutputRenderable {
        var name: String
        var state: String
        var table: OutputTable { .rows(headers: ["name", "state"], rows: [[name, state], ["a-much-longer-name", "exited"]]) }
    }

    @Test("tables pad columns to the widest cell, upper-case headers, no trailing spaces")
    func table() throws {
        let text = try OutputRenderer.render(Row(name: "web", state: "running"), format: .table)
        #expect(
            text == """
                NAME                 STATE
                web                  running
                a-much-longer-name   exited

                """)
    }

    @Test("json and yaml come from the payload's Encodable form", arguments: [OutputFormat.json, .yaml])
    func structured(_ format: OutputFormat) throws {
        let text = try OutputRenderer.render(Row(name: "web", state: "running"), format: format)
        #expect(text.contains("web"))
        #expect(text.contains("running"))
        #expect(!text.contains("a-much-longer-name"), "the table-only row must not leak into \(format)")
        #expect(text.hasSuffix("\n"))
    }

    @Test("colour only on a tty, never with NO_COLOR or TERM=dumb")
    func colour() {
        #expect(TerminalStyle(isTTY: false, color: true).color == false)
        #expect(TerminalStyle.wantsColor(environment: ["NO_COLOR": ""]) == false)
        #expect(TerminalStyle.wantsColor(environment: ["TERM": "dumb"]) == false)
        #expect(TerminalStyle.wantsColor(environment: ["TERM": "xterm-256color"]) == true)
        #expect(TerminalStyle.plain.bold("x") == "x")
        #expect(TerminalStyle(isTTY: true, color: true).bold("x") == "\u{1B}[1mx\u{1B}[0m")
    }

    @Test("errors map to exit codes: failure 1, bad input 2, usage 2")
    func exitCodes() {
        #expect(ErrorReporting.report(for: CommandFailure(failed: "engine said no")).exitCode == 1)
        #expect(ErrorReporting.report(for: CommandFailure(badInput: "bad file")).exitCode == 2)
        #expect(ErrorReporting.report(for: DockerEngine.Error.http(status: 500, message: "boom")).exitCode == 1)
        #expect(ErrorReporting.report(for: DockerEngine.Error.invalidHost("x", reason: "y")).exitCode == 2)
        let usage = ErrorReporting.report(for: StackPilot.parseUsageError(["version", "--nope"]))
        #expect(usage.exitCode == 2)
        #expect(usage.message.contains("--nope"))
    }

    @Test("the entry point returns 0 for --help and 2 for a usage error")
    func entryPoint() async {
        #expect(await StackPilot.execute(["version", "--help"]) == 0)
        #expect(await StackPilot.execute(["version", "--format", "csv"]) == 2)
    }
}

extension StackPilot {
    /// The error ArgumentParser throws while parsing these arguments.
    static func parseUsageError(_ arguments: [String]) -> any Error {
        do {
            _ = try parseAsRoot(arguments)
            return CommandFailure(failed: "parsed without error")
        } catch {
            return error
        }
    }
}
