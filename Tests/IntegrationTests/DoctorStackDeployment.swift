import Compose
import DockerEngine
import Foundation
import Grafana
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@testable import Doctor

/// The repository's own deployment (stacks/stackpilot.yml, monitoring.yml, app.yml) brought up on
/// the real engine from the local images by the `stackpilot` binary, under names and ports of its
/// own so it never touches a user deployment that may run on this machine:
///
/// - stacks/ and dashboards/ are copied into a temporary directory, and in the copies only the
///   published host ports (9090, 3000, 9100, 9338, 5000, 5001 → free ports), the project names
///   (`sptest-doctor-<hex>-monitoring` / `-app`) and the shared network's name change;
/// - the copy is loaded with the Compose loader before anything starts, and the test refuses to
///   go on if any fixed port or original name is left;
/// - stacks/.env of the copy points the image variables at the local images.
///
/// `down --volumes` and a sweep by compose project label remove everything afterwards.
final class DoctorStackDeployment: Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let imageVariables = [
        "PROMETHEUS_IMAGE": "prometheus", "NODE_EXPORTER_IMAGE": "node-exporter", "GRAFANA_IMAGE": "grafana-standin",
        "API_IMAGE": "workload-sim", "MODEL_API_IMAGE": "workload-sim", "EXPORTER_IMAGE": "stackpilot",
    ]
    /// The host ports the repository's stacks publish (see the shared contracts).
    static let fixedPorts = [9090, 3000, 9100, 9338, 5000, 5001]
    /// Variables that would point the commands elsewhere than this deployment.
    static let clearedVariables = [
        "GRAFANA_URL", "GRAFANA_USER", "GRAFANA_USER_FILE", "GRAFANA_PASSWORD", "GRAFANA_PASSWORD_FILE",
        "GRAFANA_TOKEN", "GRAFANA_TOKEN_FILE", "GRAFANA_ADMIN_USER", "GRAFANA_ADMIN_PASSWORD",
        "COMPOSE_PROJECT_NAME", "COMPOSE_FILE", "STACKPILOT_DEBUG",
    ]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What one run of the `stackpilot` binary did.
    struct Run: Sendable, CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String {
            "stackpilot \(arguments.joined(separator: " ")) → exit \(status)\nstdout:\n\(stdout.suffix(6000))\nstderr:\n\(stderr.suffix(3000))"
        }
    }

    let engine: DockerEngine.Client
    /// `sptest-doctor-<hex>`.
    let prefix: String
    let directory: URL
    let manifestPath: String
    /// Fixed port → the free port used instead.
    let ports: [Int: Int]
    var monitoringProject: String { "\(prefix)-monitoring" }
    var appProject: String { "\(prefix)-app" }
    var network: String { "\(prefix)-net" }
    var prometheusURL: String { "http://127.0.0.1:\(ports[9090]!)" }
    var grafanaURL: String { "http://127.0.0.1:\(ports[3000]!)" }

    private init(engine: DockerEngine.Client, prefix: String, directory: URL, ports: [Int: Int]) {
        self.engine = engine
        self.prefix = prefix
        self.directory = directory
        self.ports = ports
        self.manifestPath = directory.appendingPathComponent("stacks/stackpilot.yml").path
    }

    // MARK: The binary

    /// The `stackpilot` built next to this test bundle (so a `--scratch-path` build uses its own),
    /// else `.build/debug/stackpilot`.
    static let binary: URL = {
        if let bundle = Bundle.main.executableURL {
            let sibling = bundle.deletingLastPathComponent().appendingPathComponent("stackpilot")
            if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        }
        return repositoryRoot.appendingPathComponent(".build/debug/stackpilot")
    }()

    /// The environment every command of this deployment runs with: its manifest, no colour, the
    /// local images, and none of the variables that would point it at another Grafana.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for name in Self.clearedVariables { env[name] = nil }
        for (variable, image) in Self.imageVariables { env[variable] = LocalImages.tag(image) }
        env["STACKPILOT_MANIFEST"] = manifestPath
        env["NO_COLOR"] = "1"
        return env
    }

    /// Runs `stackpilot ARGUMENTS` in the deployment's directory. Blocking reads happen off the
    /// cooperative pool.
    func stackpilot(_ arguments: [String], timeout: Duration = .seconds(600)) async throws -> Run {
        let environment = self.environment
        let seconds = Double(timeout.components.seconds)
        let directory = self.directory
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = Self.binary
                    process.arguments = arguments
                    process.environment = environment
                    process.currentDirectoryURL = directory
                    let out = Pipe(), err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    // A command that hangs (e.g. waiting on a dependency that crash-loops) is ended,
                    // so the suite fails with what it printed instead of sitting out its time limit.
                    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
                    defer { watchdog.cancel() }
                    // stderr on its own thread, so neither pipe can fill up and block the child.
                    let errBox = DataBox()
                    let reader = Thread {
                        errBox.data = err.fileHandleForReading.readDataToEndOfFile(); errBox.done.signal()
                    }
                    reader.start()
                    let stdout = out.fileHandleForReading.readDataToEndOfFile()
                    errBox.done.wait()
                    process.waitUntilExit()
                    continuation.resume(
                        returning: Run(
                            arguments: arguments, status: process.terminationStatus,
                            stdout: String(decoding: stdout, as: UTF8.self),
                            stderr: String(decoding: errBox.data, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private final class DataBox: @unchecked Sendable {
        // @unchecked: written once by the reader thread before `done` is signalled, read after.
        var data = Data()
        let done = DispatchSemaphore(value: 0)
    }

    /// `stackpilot doctor --format json EXTRA...`: the run and the report it printed.
    func doctor(_ extra: [String] = []) async throws -> (run: Run, report: Doctor.Report) {
        let run = try await stackpilot(["doctor", "--format", "json"] + extra)
        do {
            return (run, try JSONDecoder().decode(Doctor.Report.self, from: Data(run.stdout.utf8)))
        } catch {
            throw Failure(description: "doctor printed no report (\(error)):\n\(run)")
        }
    }

    // MARK: Bringing it up and down

    /// Checks the local images, writes the copy, brings it up with `stackpilot up --wait` (which
    /// provisions Grafana), and waits until Prometheus has scraped every target. Cleans up after
    /// itself when any step fails.
    static func start() async throws -> DoctorStackDeployment {
        let engine = try await TestEngine.client()
        var missing: [String] = []
        for image in Set(imageVariables.values).sorted() {
            do {
                _ = try await engine.inspectImage(LocalImages.tag(image))
            } catch {
                missing.append("\(LocalImages.tag(image)) (\(error))")
            }
        }
        guard missing.isEmpty else {
            throw Failure(
                description:
                    "the local images are missing: \(missing.joined(separator: ", ")); build them with scripts/images (scripts/test does before the tests)")
        }
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw Failure(description: "no stackpilot binary at \(binary.path): build it first (swift build --build-tests builds it)")
        }
        let deployment = try prepare(engine: engine)
        do {
            let up = try await deployment.stackpilot(["up", "--wait", "--wait-timeout", "300s", "--progress", "plain"], timeout: .seconds(420))
            guard up.status == 0 else {
                throw Failure(
                    description:
                        "stackpilot up failed (exit \(up.status); 15 is the test's own 420 s limit):\n\(up)\ncontainers:\n\(await deployment.containerStates())"
                )
            }
            try await deployment.waitForAllTargetsUp()
            return deployment
        } catch {
            await deployment.tearDown()
            throw error
        }
    }

    /// The copy written and verified, nothing started (a swarm test deploys it itself, with the
    /// prefix given, e.g. `sptest-swarm`).
    static func prepare(engine: DockerEngine.Client, prefix name: String = "sptest-doctor") throws -> DoctorStackDeployment {
        let prefix = "\(name)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
        var ports: [Int: Int] = [:]
        for port in fixedPorts {
            var candidate = try TestServers.freePort()
            while ports.values.contains(candidate) || fixedPorts.contains(candidate) { candidate = try TestServers.freePort() }
            ports[port] = candidate
        }
        let deployment = DoctorStackDeployment(engine: engine, prefix: prefix, directory: directory, ports: ports)
        do {
            try deployment.writeCopy()
            try deployment.verifyCopy()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return deployment
    }

    /// stacks/ and dashboards/ copied, with ports, project names and the network renamed.
    private func writeCopy() throws {
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        for folder in ["stacks", "dashboards"] {
            try files.copyItem(at: Self.repositoryRoot.appendingPathComponent(folder), to: directory.appendingPathComponent(folder))
        }
        // The repository's env file belongs to the user's deployment (scripts/up writes it).
        try? files.removeItem(at: directory.appendingPathComponent("stacks/.env"))
        for name in ["stackpilot.yml", "monitoring.yml", "app.yml"] {
            let url = directory.appendingPathComponent("stacks/\(name)")
            var text = try String(contentsOf: url, encoding: .utf8)
            for (fixed, free) in ports { text = text.replacingOccurrences(of: "127.0.0.1:\(fixed)", with: "127.0.0.1:\(free)") }
            text = text.replacingOccurrences(of: "stackpilot-monitoring", with: monitoringProject)
            text = text.replacingOccurrences(of: "stackpilot-app", with: appProject)
            text = text.replacingOccurrences(of: "\nnetwork: stackpilot\n", with: "\nnetwork: \(network)\n")
            text = text.replacingOccurrences(of: "    name: stackpilot\n", with: "    name: \(network)\n")
            // The deployment's own supervisor would race the tests: it heals the containers they
            // make unhealthy and re-provisions the Grafana they restart without its provisioning.
            text = text.replacingOccurrences(of: "\"--targets-by-address\", \"--watch-dashboards\"]", with: "\"--targets-by-address\", \"--no-heal\"]")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let env = Self.imageVariables.sorted { $0.key < $1.key }.map { "\($0.key)=\(LocalImages.tag($0.value))" }.joined(separator: "\n")
        try (env + "\n").write(to: directory.appendingPathComponent("stacks/.env"), atomically: true, encoding: .utf8)
        // Prometheus and the stand-ins run as other users: the bind-mounted files must be readable.
        let enumerator = files.enumerator(atPath: directory.path)
        while let relative = enumerator?.nextObject() as? String {
            let path = directory.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            files.fileExists(atPath: path, isDirectory: &isDirectory)
            try files.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path)
        }
    }

    /// The copy as the loader sees it: our projects, our network, only our ports. Anything else
    /// (the stack files changed shape) stops the test before it could collide with a user deployment.
    private func verifyCopy() throws {
        let manifest = try Manifest.load(path: manifestPath)
        var problems: [String] = []
        if manifest.deployment.map(\.project) != [monitoringProject, appProject] {
            problems.append("projects are \(manifest.deployment.map(\.project))")
        }
        if manifest.network != network { problems.append("the shared network is \(manifest.network)") }
        for url in [manifest.prometheus.url, manifest.grafana.url] + manifest.targets.map(\.metricsURL)
        where !ports.values.contains(where: { url.contains("127.0.0.1:\($0)") }) {
            problems.append("URL \(url) is not on one of the test's ports")
        }
        for target in manifest.targets where ![monitoringProject, appProject].contains(target.project) {
            problems.append("target \(target.job) belongs to \(target.project)")
        }
        let projects = try manifest.loadProjects(environment: environment)
        for project in projects {
            for service in project.services {
                for port in service.ports where !ports.values.map(String.init).contains(port.published ?? "") {
                    problems.append("\(project.name)/\(service.name) publishes \(port.published ?? "an engine-chosen port") for \(port.target)")
                }
                let command = service.command ?? []
                if service.name == "exporter", !command.contains("--no-heal") || command.contains("--watch-dashboards") {
                    problems.append("\(project.name)/exporter heals or re-provisions (command \(command))")
                }
                if !(service.image?.hasPrefix("stackpilot-local/") ?? false) {
                    problems.append("\(project.name)/\(service.name) uses image \(service.image ?? "none")")
                }
            }
            for net in project.networks.values where net.name != network && !net.name.hasPrefix(project.name) {
                problems.append("\(project.name) uses network \(net.name)")
            }
        }
        guard problems.isEmpty else {
            throw Failure(
                description:
                    "the test copy of stacks/ in \(directory.path) is not isolated from a user deployment: \(problems.joined(separator: "; ")) — adapt DoctorStackDeployment.writeCopy to the stack files"
            )
        }
    }

    /// Each container of the deployment with its state and last log lines, for failure messages.
    func containerStates() async -> String {
        var lines: [String] = []
        for project in [monitoringProject, appProject] {
            let filter = DockerEngine.Filters().label("com.docker.compose.project=\(project)")
            for summary in (try? await engine.listContainers(all: true, filters: filter)) ?? [] {
                let state = (try? await engine.inspectContainer(summary.id))?.state
                lines.append(
                    "\(summary.name): \(state?.status?.rawValue ?? "?") exit \(state?.exitCode ?? 0)\(state?.health?.status.map { ", health \($0.rawValue)" } ?? "")"
                )
                if let tail = try? await Doctor.logTail(engine, id: summary.id, lines: 3) { lines += tail.map { "  \($0)" } }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Prometheus scrapes every 15 s: polls its targets (generously) until all are up.
    func waitForAllTargetsUp(timeout: Duration = .seconds(180)) async throws {
        let client = prometheus()
        var last = "no answer"
        let up = await EngineFixture.eventually(timeout: timeout) {
            guard let targets = try? await client.targets().activeTargets else { return false }
            last = targets.map { "\($0.job ?? "?"): \($0.health.rawValue) \($0.lastError)" }.joined(separator: ", ")
            return targets.count == 5 && targets.allSatisfy { $0.health == .up }
        }
        guard up else { throw Failure(description: "Prometheus at \(prometheusURL) did not report all 5 targets up within \(timeout): \(last)") }
    }

    /// `stackpilot down --volumes`, then whatever carries our project labels or network name.
    func tearDown() async {
        _ = try? await stackpilot(["down", "--volumes", "--timeout", "5", "--progress", "quiet"])
        for project in [appProject, monitoringProject] {
            let filter = DockerEngine.Filters().label("com.docker.compose.project=\(project)")
            for container in (try? await engine.listContainers(all: true, filters: filter)) ?? [] {
                try? await engine.removeContainer(container.id, force: true, volumes: true)
            }
            for volume in (try? await engine.listVolumes(filters: filter)) ?? [] {
                try? await engine.removeVolume(volume.name, force: true)
            }
        }
        for net in (try? await engine.listNetworks(filters: DockerEngine.Filters().name(network))) ?? [] where net.name == network {
            try? await engine.removeNetwork(net.id)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Talking to its parts

    static let logger: Logger = {
        var l = Logger(label: "doctor-stack-test"); l.logLevel = .error; return l
    }()

    func prometheus() -> PrometheusAPI.Client {
        PrometheusAPI.Client(
            transport: try! CurlTransport(endpoint: HTTPEndpoint(address: .url(prometheusURL))),
            endpoint: prometheusURL, logger: Self.logger)
    }

    /// Grafana (the stand-in) as admin/admin, the stack's default credentials.
    func grafana() throws -> Grafana.Client {
        let connection = try Grafana.Connection(url: grafanaURL, credentials: .basic(user: "admin", password: "admin"))
        return Grafana.Client(transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(grafanaURL))), connection: connection, logger: Self.logger)
    }

    /// `DELETE /api/datasources/uid/UID` (the Grafana client has no delete: provisioning never deletes datasources).
    func deleteDatasource(uid: String) async throws {
        let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(grafanaURL)))
        let auth = Data("admin:admin".utf8).base64EncodedString()
        let response = try await transport.send(
            HTTPRequest(method: .delete, path: "/api/datasources/uid/\(uid)", headers: [("Authorization", "Basic \(auth)")]))
        guard response.status == 200 else {
            throw Failure(description: "DELETE datasource \(uid) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// The one container of `service` in `project`.
    func container(_ service: String, project: String) async throws -> DockerEngine.ContainerInspect {
        let found = try await engine.listContainers(
            all: true,
            filters: DockerEngine.Filters()
                .label("com.docker.compose.project=\(project)").label("com.docker.compose.service=\(service)"))
        guard let summary = found.first else { throw Failure(description: "no container of \(project)/\(service)") }
        return try await engine.inspectContainer(summary.id)
    }

    /// Polls until the container of `service` runs healthy.
    func waitHealthy(_ service: String, project: String, timeout: Duration = .seconds(180)) async throws {
        var last = "unknown"
        let healthy = try await EngineFixture.eventually(timeout: timeout) {
            let state = try await container(service, project: project).state
            last = "\(state?.status?.rawValue ?? "?") \(state?.health?.status?.rawValue ?? "")"
            return state?.running == true && state?.health?.status == .healthy
        }
        guard healthy else { throw Failure(description: "\(project)/\(service) did not become healthy within \(timeout): \(last)") }
    }

    /// Stops Grafana, starts it with the given files of stacks/grafana/provisioning moved aside
    /// (so it comes up without what they provision), waits until it is healthy, and puts the
    /// files back (Grafana reads them only at start).
    func restartGrafana(withoutProvisioning files: [String]) async throws {
        let grafana = try await container("grafana", project: monitoringProject)
        try await engine.stopContainer(grafana.id, timeout: 5)
        // The stand-in keeps its state in /var/lib/grafana as Grafana keeps grafana.db, and Grafana
        // keeps provisioned datasources when their file goes: a Grafana that lost them is one that
        // also starts with a fresh database, so its state file goes while it is stopped.
        if let data = grafana.mounts?.first(where: { $0.destination == "/var/lib/grafana" })?.source {
            try? FileManager.default.removeItem(atPath: data + "/grafana-standin.json")
        }
        let provisioning = directory.appendingPathComponent("stacks/grafana/provisioning")
        var moved: [(URL, URL)] = []
        defer { for (from, to) in moved { try? FileManager.default.moveItem(at: to, to: from) } }
        for file in files {
            let from = provisioning.appendingPathComponent(file)
            let to = from.appendingPathExtension("off")
            try FileManager.default.moveItem(at: from, to: to)
            moved.append((from, to))
        }
        try await engine.startContainer(grafana.id)
        try await waitHealthy("grafana", project: monitoringProject)
    }

    /// Puts a service back as the deployment had it: running, healthy, scraped.
    func restore(_ service: String, project: String) async throws {
        let inspect = try await container(service, project: project)
        // A test may have frozen it with SIGSTOP; harmless otherwise.
        try? await engine.killContainer(inspect.id, signal: "SIGCONT")
        if inspect.state?.running != true { try await engine.startContainer(inspect.id) }
        try await waitHealthy(service, project: project)
        try await waitForAllTargetsUp()
    }
}

/// Brings one `DoctorStackDeployment` up around the whole suite and tears it down afterwards,
/// whether the tests passed or not; the tests reach it through `DoctorStackDeployment.current`.
struct DoctorStackDeploymentTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let deployment: DoctorStackDeployment
        do {
            deployment = try await DoctorStackDeployment.start()
        } catch let error as DoctorStackDeployment.Failure
            where error.description.contains("already allocated") || error.description.contains("address already in use")
        {
            // A free port taken by someone else between choosing and publishing it: once more, with others.
            deployment = try await DoctorStackDeployment.start()
        }
        do {
            try await DoctorStackDeployment.$current.withValue(deployment) { try await function() }
        } catch {
            await deployment.tearDown()
            throw error
        }
        await deployment.tearDown()
    }
}

extension DoctorStackDeployment {
    @TaskLocal static var current: DoctorStackDeployment?

    /// The suite's deployment; fails the test when there is none.
    static func shared() throws -> DoctorStackDeployment {
        guard let current else { throw Failure(description: "no deployment: the suite needs the .doctorStackDeployment trait") }
        return current
    }
}

extension Trait where Self == DoctorStackDeploymentTrait {
    /// The repository's stacks, up on the engine for the suite (see `DoctorStackDeployment`).
    static var doctorStackDeployment: Self { DoctorStackDeploymentTrait() }
}
