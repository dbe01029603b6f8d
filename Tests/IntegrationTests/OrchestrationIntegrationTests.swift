import Compose
import DockerEngine
import Foundation
import HTTPTransport
import Logging
import Orchestration
import Synchronization
import TestSupport
import Testing

/// A compose project in a temporary directory, named `sptest-orch-<random>`, torn down afterwards.
struct OrchestrationFixture {
    let name: String
    let directory: URL
    let file: URL
    let transport: SpyTransport
    let client: DockerEngine.Client
    let executor: Orchestration.Executor
    let events: EventLog

    /// Progress events seen by the executor (for asserting what it said).
    final class EventLog: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ s: String) { lines.withLock { $0.append(s) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func make() async throws -> OrchestrationFixture {
        _ = try await TestEngine.client()
        let name = "sptest-orch-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = try DockerEngine.Host.resolve()
        let transport = SpyTransport(try CurlTransport(endpoint: host.endpoint))
        let client = DockerEngine.Client(endpoint: host.endpoint, transport: transport)
        let events = EventLog()
        let executor = Orchestration.Executor(engine: Orchestration.DockerEngineBackend(client: client)) { event in
            events.append("\(event)")
        }
        return OrchestrationFixture(
            name: name, directory: directory, file: directory.appendingPathComponent("compose.yml"), transport: transport, client: client, executor: executor,
            events: events)
    }

    func write(_ yaml: String) throws {
        try yaml.write(to: file, atomically: true, encoding: .utf8)
    }

    func load() throws -> Orchestration.DesiredProject {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let project = try ComposeLoader(logger: logger).load(ComposeLoadOptions(files: [file.path], projectName: name))
        return Orchestration.DesiredProject(compose: project)
    }

    /// observe -> plan -> execute, as `stackpilot up` does.
    @discardableResult
    func up(_ options: Orchestration.UpOptions = .init(), plan planOptions: Orchestration.PlanOptions = .init()) async throws -> Orchestration.Plan {
        let desired = try load()
        let observed = try await executor.observe(desired)
        let plan = try Orchestration.Planner.plan(desired, observed: observed, options: planOptions)
        try await executor.up(desired, plan: plan, options: options)
        return plan
    }

    func containers() async throws -> [DockerEngine.ContainerSummary] {
        try await client.listContainers(all: true, filters: DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(name)"))
    }

    func container(_ service: String) async throws -> DockerEngine.ContainerInspect {
        let c = try #require(try await containers().first { $0.labels?[DockerEngine.ComposeLabels.service] == service }, "no container for \(service)")
        return try await client.inspectContainer(c.id)
    }

    /// Removes everything of the project, whoever made it, and the directory.
    func tearDown() async {
        try? await executor.down(projectName: name, project: nil, options: .init(removeVolumes: true, timeout: 0))
        let filter = DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(name)")
        for c in (try? await client.listContainers(all: true, filters: filter)) ?? [] { try? await client.removeContainer(c.id, force: true) }
        for n in (try? await client.listNetworks(filters: filter)) ?? [] { try? await client.removeNetwork(n.id) }
        try? FileManager.default.removeItem(at: directory)
    }

    static func with(_ body: (OrchestrationFixture) async throws -> Void) async throws {
        let f = try await make()
        do {
            try await body(f)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }
}

/// Parity with the engine and with docker compose, and the no-write second `up`. The executor's waits and
/// failures (health gating, crash loops, timeouts, dependents left created) are unit tests on `FakeEngine`
/// (OrchestrationTests/ExecutorTests.swift).
@Suite("Orchestration against the real engine", .serialized, .requiresEngine)
struct OrchestrationIntegrationTests {
    /// An engine timestamp ("2026-12-02T14:51:32.086133222Z") as seconds since 1970.
    static func unixSeconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard text.count >= 19, let whole = formatter.date(from: String(text.prefix(19)) + "Z") else { return nil }
        let rest = text.dropFirst(19)
        let fraction = rest.hasPrefix(".") ? Double("0" + rest.prefix { $0 != "Z" && $0 != "+" && $0 != "-" }) ?? 0 : 0
        return whole.timeIntervalSince1970 + fraction
    }

    static func threeServices(image: String, apiEnv: String = "one") -> String {
        """
        services:
          db:
            image: \(image)
            command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 3600"]
            stop_grace_period: 1s
            healthcheck:
              test: ["CMD", "sh", "-c", "test -f /tmp/ready"]
              interval: 1s
              timeout: 2s
              retries: 30
          api:
            image: \(image)
            command: ["sleep", "3600"]
            stop_grace_period: 1s
            environment:
              MODE: \(apiEnv)
            depends_on:
              db:
                condition: service_healthy
          web:
            image: \(image)
            command: ["sleep", "3600"]
            stop_grace_period: 1s
            depends_on:
              - api
        """
    }

    @Test("a 3-service stack with a service_healthy dependency comes up in order, and a second up makes zero engine writes")
    func upThenNoOp() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.threeServices(image: image))
            let plan = try await f.up()
            #expect(plan.actions(.createContainer).count == 3)
            #expect(plan.actions(.createNetwork).map(\.target) == ["\(f.name)_default"])

            let db = try await f.container("db")
            let api = try await f.container("api")
            let web = try await f.container("web")
            #expect(db.state?.health?.status == .healthy)
            #expect(api.state?.running == true)
            #expect(web.state?.running == true)
            // api started only after db's first passing health probe.
            // The engine keeps db's last 5 probes only: while a failing one is still there, the first
            // passing one after it is db's first healthy moment.
            let log = db.state?.health?.log ?? []
            let apiStarted = try #require(api.state?.startedAt)
            if log.contains(where: { $0.exitCode != 0 }), let firstHealthy = log.first(where: { $0.exitCode == 0 })?.end {
                #expect(apiStarted > String(firstHealthy.prefix(apiStarted.count)), "api started at \(apiStarted), db healthy at \(firstHealthy)")
            }
            // In any case api started after db could first be healthy: its ready file appears 1 s after its start.
            let dbStarted = try #require(db.state?.startedAt)
            let apiAt = try #require(Self.unixSeconds(apiStarted)), dbAt = try #require(Self.unixSeconds(dbStarted))
            #expect(apiAt > dbAt + 1, "api started at \(apiStarted), db at \(dbStarted)")
            // compose's labels and names.
            #expect(db.name == "/\(f.name)-db-1")
            #expect(db.config?.labels?[DockerEngine.ComposeLabels.configHash] != nil)
            #expect(db.config?.labels?[DockerEngine.ComposeLabels.oneoff] == "False")
            #expect(db.config?.labels?[DockerEngine.ComposeLabels.workingDir] == f.directory.path)

            // Second up: nothing changed, so nothing is written.
            f.transport.reset()
            let second = try await f.up()
            #expect(second.isUpToDate)
            #expect(f.transport.writes == 0, "writes: \(f.transport.writePaths)")
            #expect(f.transport.reads > 0)
        }
    }

    @Test("changing one service's environment recreates only that service and names the field")
    func recreateOnlyChanged() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.threeServices(image: image))
            try await f.up()
            let before = Dictionary(uniqueKeysWithValues: try await f.containers().map { ($0.labels?[DockerEngine.ComposeLabels.service] ?? "", $0.id) })

            try f.write(Self.threeServices(image: image, apiEnv: "two"))
            let plan = try await f.up()
            let recreate = plan.actions(.recreateContainer)
            #expect(recreate.map(\.service) == ["api"])
            #expect(recreate.first?.changedFields == ["environment"])
            let after = Dictionary(uniqueKeysWithValues: try await f.containers().map { ($0.labels?[DockerEngine.ComposeLabels.service] ?? "", $0.id) })
            #expect(after["db"] == before["db"])
            #expect(after["web"] == before["web"])
            #expect(after["api"] != before["api"])
            let api = try await f.container("api")
            #expect(api.config?.env?.contains("MODE=two") == true)
            #expect(api.state?.running == true)
        }
    }

    @Test("down removes every container and the network, and a stack that is not up is fine")
    func downLeavesNothing() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.threeServices(image: image))
            try await f.up()
            #expect(try await f.containers().count == 3)
            let desired = try f.load()
            try await f.executor.down(projectName: f.name, project: desired, options: .init(timeout: 1))
            #expect(try await f.containers().isEmpty)
            let networks = try await f.client.listNetworks(filters: DockerEngine.Filters().name("\(f.name)_default"))
            #expect(networks.filter { $0.name == "\(f.name)_default" }.isEmpty)
            // Again, with nothing there.
            try await f.executor.down(projectName: f.name, project: desired, options: .init(timeout: 1))
        }
    }

    @Test("down removes a dependent as soon as it has stopped, while its dependency is still stopping")
    func downRemovesEarly() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            // db's sleep is PID 1 without a SIGTERM handler, so its stop lasts the whole grace period:
            // a lower bound, which is what the order below relies on (no upper bound on anything).
            try f.write(
                """
                services:
                  db:
                    image: \(image)
                    command: ["sleep", "3600"]
                    stop_grace_period: 5s
                  web:
                    image: \(image)
                    command: ["sleep", "3600"]
                    stop_signal: SIGKILL
                    depends_on: [db]
                """)
            try await f.up()
            let desired = try f.load()
            let before = f.events.all.count
            try await f.executor.down(projectName: f.name, project: desired)
            let events = Array(f.events.all.dropFirst(before))
            func index(_ container: String, _ verb: String, _ status: String) -> Int? {
                events.firstIndex { $0.contains("\"\(f.name)-\(container)-1\"") && $0.contains("verb: \"\(verb)\"") && $0.hasSuffix(".\(status))") }
            }
            let webStopped = try #require(index("web", "stop", "done"), "events: \(events)")
            let webRemoved = try #require(index("web", "remove", "started"), "events: \(events)")
            let dbStopStarted = try #require(index("db", "stop", "started"), "events: \(events)")
            let dbStopped = try #require(index("db", "stop", "done"), "events: \(events)")
            // Order of stops is unchanged: the dependent first, then its dependency.
            #expect(webStopped < dbStopStarted)
            // The dependent's removal does not wait for the dependency's stop.
            #expect(webRemoved < dbStopped, "events: \(events)")
            #expect(try await f.containers().isEmpty)
            let networks = try await f.client.listNetworks(filters: DockerEngine.Filters().name("\(f.name)_default"))
            #expect(networks.filter { $0.name == "\(f.name)_default" }.isEmpty)
        }
    }

    @Test("a port in use and a missing bind source are reported together before anything is created")
    func preflight() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            // Hold a loopback port with a plain listening socket.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            try #require(
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                } == 0)
            try #require(listen(fd, 1) == 0)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            let port = Int(UInt16(bigEndian: addr.sin_port))
            try f.write(
                """
                services:
                  web:
                    image: \(image)
                    command: ["sleep", "3600"]
                    ports: ["127.0.0.1:\(port):80"]
                  data:
                    image: \(image)
                    command: ["sleep", "3600"]
                    volumes:
                      - type: bind
                        source: ./missing-dir
                        target: /data
                """)
            f.transport.reset()
            let error = await #expect(throws: OrchestrationError.self) { try await f.up() }
            guard case .preflight(let problems)? = error else {
                Issue.record("expected preflight, got \(String(describing: error))")
                return
            }
            #expect(problems.count == 2)
            #expect(problems.contains { $0.contains("service 'web'") && $0.contains("\(port)") && $0.contains("already in use") })
            #expect(problems.contains { $0.contains("service 'data'") && $0.contains("missing-dir") && $0.contains("does not exist") })
            #expect(error?.isBadInput == true)
            #expect(f.transport.writes == 0, "writes: \(f.transport.writePaths)")
            #expect(try await f.containers().isEmpty)
        }
    }

    @Test("restart: true restarts a dependent when its dependency is recreated, without recreating it")
    func restartPropagates() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            func yaml(_ version: String) -> String {
                """
                services:
                  db:
                    image: \(image)
                    command: ["sleep", "3600"]
                    stop_signal: SIGKILL
                    environment:
                      VERSION: "\(version)"
                  api:
                    image: \(image)
                    command: ["sleep", "3600"]
                    stop_signal: SIGKILL
                    depends_on:
                      db:
                        condition: service_started
                        restart: true
                """
            }
            try f.write(yaml("1"))
            try await f.up()
            let before = try await f.container("api")
            try await Task.sleep(for: .seconds(1.1))
            try f.write(yaml("2"))
            let plan = try await f.up()
            #expect(plan.actions(for: "db").map(\.kind) == [.recreateContainer])
            #expect(plan.actions(for: "api").map(\.kind) == [.restartContainer])
            let after = try await f.container("api")
            #expect(after.id == before.id)
            #expect(after.state?.running == true)
            #expect((after.state?.startedAt ?? "") > (before.state?.startedAt ?? ""))
        }
    }

    @Test("build: goes through the engine's build endpoint with a context that honours .dockerignore")
    func buildHonoursDockerignore() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            let ctx = f.directory.appendingPathComponent("app")
            try FileManager.default.createDirectory(at: ctx, withIntermediateDirectories: true)
            try "FROM \(image)\nCOPY . /ctx/\nCMD [\"sleep\", \"3600\"]\n".write(
                to: ctx.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
            try "ignored.txt\n".write(to: ctx.appendingPathComponent(".dockerignore"), atomically: true, encoding: .utf8)
            try "keep".write(to: ctx.appendingPathComponent("kept.txt"), atomically: true, encoding: .utf8)
            try "drop".write(to: ctx.appendingPathComponent("ignored.txt"), atomically: true, encoding: .utf8)
            try f.write(
                """
                services:
                  app:
                    build: ./app
                    command: ["sh", "-c", "test -f /ctx/kept.txt && test ! -f /ctx/ignored.txt && exec sleep 3600"]
                    stop_signal: SIGKILL
                """)
            let built = "\(f.name)-app"
            defer { Task { [client = f.client] in _ = try? await client.removeImage(built, force: true) } }
            let plan = try await f.up(.init(wait: true, waitTimeout: .seconds(30)))
            #expect(plan.actions(.buildImage).map(\.target) == [built])
            let app = try await f.container("app")
            #expect(app.state?.running == true)
            #expect(app.config?.image == built)
            #expect(f.events.all.contains { $0.contains("build") && $0.contains("Step") }, "build output is reported as progress")
            // The image is there now: a second up neither builds nor writes.
            f.transport.reset()
            let again = try await f.up()
            #expect(again.isUpToDate)
            #expect(f.transport.writes == 0)
        }
    }

    static func dockerCompose(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let result = try Subprocess.run("/usr/bin/docker-compose", arguments, in: directory)
        return (result.status, result.output)
    }

    @Test(
        "docker-compose ps (Debian's 1.29.2) lists the containers StackPilot started",
        .enabled(if: ToolGate.runs(needing: "/usr/bin/docker-compose", for: "docker-compose ps parity")))
    func dockerComposeSeesUs() async throws {
        try ToolGate.require("/usr/bin/docker-compose")
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.threeServices(image: image))
            try await f.up()
            let (status, output) = try Self.dockerCompose(["-f", f.file.path, "-p", f.name, "ps"], in: f.directory)
            #expect(status == 0, "\(output)")
            for service in ["db", "api", "web"] {
                #expect(output.contains("\(f.name)-\(service)-1"), "\(output)")
            }
        }
    }

    @Test(
        "a stack started with docker-compose up -d is seen by stackpilot's status and removed by its down",
        .enabled(if: ToolGate.runs(needing: "/usr/bin/docker-compose", for: "docker-compose up parity")))
    func weSeeDockerCompose() async throws {
        try ToolGate.require("/usr/bin/docker-compose")
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(
                """
                version: "3.8"
                services:
                  alpha:
                    image: \(image)
                    command: ["sleep", "3600"]
                  beta:
                    image: \(image)
                    command: ["sleep", "3600"]
                    depends_on: [alpha]
                """)
            let (status, output) = try Self.dockerCompose(["-f", f.file.path, "-p", f.name, "up", "-d"], in: f.directory)
            try #require(status == 0, "docker-compose up failed: \(output)")
            let rows = try await f.executor.status(projectName: f.name)
            #expect(Set(rows.map(\.service)) == ["alpha", "beta"])
            #expect(rows.allSatisfy { $0.details.containerState == .running })
            try await f.executor.down(projectName: f.name, project: nil, options: .init(timeout: 1))
            #expect(try await f.containers().isEmpty)
            let networks = try await f.client.listNetworks(filters: DockerEngine.Filters().name("\(f.name)_default"))
            #expect(networks.filter { $0.name == "\(f.name)_default" }.isEmpty)
        }
    }
}
