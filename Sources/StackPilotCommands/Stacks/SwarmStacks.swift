import ArgumentParser
import Compose
import DockerEngine
import Foundation
import Logging
import Orchestration

extension Flags {
    /// `--swarm`: act on Docker Swarm (the engine must be a manager) instead of this host's
    /// containers. Also chosen, without the flag, by a manifest with `swarm: {enabled: true}`.
    /// Never guessed from the engine: a single host stays a single host.
    public struct Swarm: ParsableArguments, Sendable {
        @Flag(name: .customLong("swarm"), help: "Deploy to, or act on, Docker Swarm services (the engine must be a swarm manager).")
        public var swarm = false

        @Option(name: .customLong("registry"), help: "With --swarm: registry (HOST[:PORT]) to push local images to; overrides the manifest's swarm.registry.")
        public var registry: String?

        @Option(
            name: .customLong("image-host"),
            help: ArgumentHelp(
                "With --swarm: the engine that holds the local images to push (default: the manager, -H).", valueName: "url"))
        public var imageHost: String?

        public init() {}

        /// The engine whose local images are pushed: `--image-host`, else the manager.
        func imageClient(_ manager: DockerEngine.Client) throws(CommandFailure) -> DockerEngine.Client {
            guard let imageHost else { return manager }
            var flags = Flags.Engine()
            flags.host = imageHost
            return try flags.makeClient()
        }
    }
}

/// The stacks of a swarm command: the projects loaded for Swarm, and the manifest's swarm settings.
struct SwarmTargets {
    var projects: [ComposeProject]
    /// Namespaces to act on without files (`-p NAME`: a stack deployed by anyone, `docker stack deploy` too).
    var namespaces: [String]
    var registry: String?
}

extension Flags.Swarm {
    /// Whether this command acts on Swarm: `--swarm`, or the manifest's `swarm.enabled` (without -f).
    func chosen(_ stacks: Flags.Stacks) -> Bool {
        if swarm { return true }
        guard stacks.files.isEmpty, stacks.projectName == nil else { return false }
        let path = Manifest.locate(explicit: stacks.manifest)
        return (try? Manifest.load(path: path))?.swarm?.enabled == true
    }

    /// Loads the stacks for Swarm: swarm-only mistakes are bad input (exit 2) before any engine call.
    func targets(_ stacks: Flags.Stacks, names: [String] = [], requireFiles: Bool = false) throws(CommandFailure) -> SwarmTargets {
        var logger = Logger(label: "stackpilot.compose")
        logger.logLevel = .critical
        let loader = ComposeLoader(logger: logger)
        do {
            if !stacks.files.isEmpty {
                var options = ComposeLoadOptions(
                    files: stacks.files, projectName: stacks.projectName, projectDirectory: stacks.projectDirectory,
                    envFiles: stacks.envFiles, profiles: stacks.profiles)
                options.swarm = true
                let project = try loader.load(options)
                for w in project.warnings { StandardError.line("warning: \(w)") }
                return SwarmTargets(projects: [project], namespaces: [project.name], registry: registry)
            }
            if let name = stacks.projectName, !requireFiles {
                return SwarmTargets(projects: [], namespaces: [Orchestration.Naming.normaliseProjectName(name)], registry: registry)
            }
            let path = Manifest.locate(explicit: stacks.manifest)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommandFailure(
                    badInput: "no compose file given (-f) and no manifest at \(path); run from the repository root, or pass -f FILE or --manifest PATH")
            }
            let m = try Manifest.load(path: path)
            let known = m.deployment.map(\.project)
            for n in names where !known.contains(n) {
                throw CommandFailure(badInput: "no stack named '\(n)' in \(path) (stacks: \(known.joined(separator: ", ")))")
            }
            let projects = try m.loadProjects(loader: loader, envFiles: stacks.envFiles, swarm: true).filter { names.isEmpty || names.contains($0.name) }
            for p in projects { for w in p.warnings { StandardError.line("warning: \(w)") } }
            return SwarmTargets(projects: projects, namespaces: projects.map(\.name), registry: registry ?? m.swarm?.registry)
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as ComposeError {
            throw CommandFailure(badInput: error.description)
        } catch {
            throw CommandFailure(badInput: String(describing: error))
        }
    }
}

/// The swarm side of `up`, `down`, `ps` and `logs` (the commands dispatch here with `--swarm`).
enum SwarmCommands {
    static func project(_ compose: ComposeProject, images: [String: String]) throws(CommandFailure) -> Orchestration.SwarmProject {
        do {
            return try Orchestration.SwarmProject(compose: compose, images: { images[$0] ?? $0 }) { path in
                guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(badInput: "cannot read \(path)") }
                return data
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(badInput: String(describing: error))
        }
    }

    /// `up --swarm`: per stack, in the manifest's order: resolve images (push what only this engine
    /// has), observe, plan, and execute unless `dryRun`.
    static func up(
        _ stacks: Flags.Stacks, engine: Flags.Engine, swarm: Flags.Swarm, names: [String], dryRun: Bool, format: OutputFormat,
        wait: Bool, waitTimeout: Duration?, removeOrphans: Bool, progress: ProgressMode
    ) async throws {
        let targets = try swarm.targets(stacks, names: stacks.files.isEmpty ? names : [], requireFiles: true)
        let connection = try StackEngine(engine)
        let renderer = ProgressRenderer(mode: progress)
        let images = try swarm.imageClient(connection.client)
        let deployer = Orchestration.SwarmDeployer(client: connection.client, imageClient: images)
        let plans = try await withInterruptCancellation { () async throws -> [Orchestration.Plan] in
            await connection.negotiate()
            var plans: [Orchestration.Plan] = []
            var pendingNetworks: [String] = []
            for compose in targets.projects {
                let references = compose.services.map { $0.image ?? "\(compose.name)-\($0.name)" }
                let resolved = await Orchestration.SwarmImages.resolve(references, registry: targets.registry, client: images)
                let desired = try project(compose, images: resolved.references)
                do {
                    let observed = try await deployer.observe(namespace: desired.namespace)
                    let options = Orchestration.SwarmPlanner.Options(
                        removeOrphans: removeOrphans, pushes: resolved.pushes,
                        pendingNetworks: Set(pendingNetworks))
                    let plan = Orchestration.SwarmPlanner.plan(desired, observed, options: options)
                    plans.append(plan)
                    if dryRun {
                        pendingNetworks += plan.actions(.createNetwork).map(\.target)
                        continue
                    }
                    let handler = renderer.handler(project: desired.namespace)
                    for w in plan.warnings { renderer.handle(.warning(w), project: desired.namespace) }
                    let pushes = Dictionary(resolved.pushes.map { ($0.remote, $0.local) }, uniquingKeysWith: { a, _ in a })
                    try await deployer.execute(plan, desired: desired, observed: observed, pushes: pushes, progress: handler)
                    if wait { try await deployer.waitAll(desired, timeout: waitTimeout ?? .seconds(120), progress: handler) }
                    renderer.note(plan.isUpToDate ? "up to date" : StackPilot.Up.summary(plan), project: desired.namespace)
                } catch {
                    throw stackFailure(error)
                }
            }
            return plans
        }
        if dryRun {
            print(try OutputRenderer.render(PlansPayload(plans: plans), format: format), terminator: "")
            let problems = plans.flatMap { $0.problems }
            if !problems.isEmpty { throw CommandFailure(badInput: problems.joined(separator: "\n")) }
        }
    }

    /// `down --swarm`: every stack, last one first (or `-p NAME`, whoever deployed it).
    static func down(_ stacks: Flags.Stacks, engine: Flags.Engine, swarm: Flags.Swarm, names: [String], volumes: Bool, progress: ProgressMode) async throws {
        let targets = try swarm.targets(stacks, names: names)
        let connection = try StackEngine(engine)
        let renderer = ProgressRenderer(mode: progress)
        let deployer = Orchestration.SwarmDeployer(client: connection.client)
        try await withInterruptCancellation {
            await connection.negotiate()
            var failures: [String] = []
            for namespace in targets.namespaces.reversed() {
                do {
                    try await deployer.remove(namespace: namespace, volumes: volumes, progress: renderer.handler(project: namespace))
                    renderer.note("down", project: namespace)
                } catch {
                    failures.append(stackFailure(error).message)
                }
            }
            if !failures.isEmpty { throw CommandFailure(failed: failures.joined(separator: "\n")) }
        }
    }

    /// `ps --swarm`: each service with running/desired tasks, and where its tasks run.
    static func ps(_ stacks: Flags.Stacks, engine: Flags.Engine, swarm: Flags.Swarm, services: [String], format: OutputFormat) async throws {
        let targets = try swarm.targets(stacks)
        let connection = try StackEngine(engine)
        var rows: [SwarmPsRow] = []
        do {
            let nodes = try await connection.client.listNodes()
            for namespace in targets.namespaces {
                let filter = DockerEngine.Filters().label("\(Orchestration.SwarmLabels.namespace)=\(namespace)")
                let list = try await connection.client.listServices(filters: filter)
                let tasks = try await connection.client.listTasks(filters: filter)
                for s in list.sorted(by: { ($0.spec?.name ?? "") < ($1.spec?.name ?? "") }) {
                    let row = SwarmPsRow(s, namespace: namespace, tasks: tasks.filter { $0.serviceID == s.id }, nodes: nodes)
                    if services.isEmpty || services.contains(row.Service) { rows.append(row) }
                }
            }
        } catch {
            throw CommandFailure(failed: "cannot list the swarm's services: \(error)")
        }
        print(try OutputRenderer.render(SwarmPsPayload(rows: rows), format: format, style: .stdout), terminator: "")
    }

    /// `logs --swarm`: each service's logs (all its tasks, on every node), prefixed by the service.
    static func logs(
        _ stacks: Flags.Stacks, engine: Flags.Engine, swarm: Flags.Swarm, services: [String], follow: Bool, tail: Int?,
        timestamps: Bool, printer: LogPrinter
    ) async throws {
        let targets = try swarm.targets(stacks)
        let connection = try StackEngine(engine)
        var found: [(name: String, id: String)] = []
        for namespace in targets.namespaces {
            let filter = DockerEngine.Filters().label("\(Orchestration.SwarmLabels.namespace)=\(namespace)")
            let list: [DockerEngine.Service]
            do { list = try await connection.client.listServices(filters: filter) } catch {
                throw CommandFailure(failed: "cannot list the services of \(namespace): \(error)")
            }
            for s in list {
                let service = s.spec?.labels?["com.docker.compose.service"] ?? s.spec?.name ?? s.id
                if services.isEmpty || services.contains(service) { found.append((s.spec?.name ?? s.id, s.id)) }
            }
        }
        for s in services where !found.contains(where: { $0.name.hasSuffix("_" + s) }) { throw CommandFailure(badInput: "no service named '\(s)'") }
        printer.setWidth(found.map(\.name.count).max() ?? 0)
        let client = connection.client
        let streams = found
        try await withInterruptCancellation {
            await withTaskGroup(of: Void.self) { group in
                for s in streams {
                    group.addTask {
                        do {
                            let options = DockerEngine.LogsOptions(follow: follow, timestamps: timestamps, tail: tail)
                            for try await frame in try await client.serviceLogs(s.id, options: options) {
                                for line in frame.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(frame.text.hasSuffix("\n") ? 1 : 0) {
                                    printer.print(
                                        container: s.name, DockerEngine.LogFrame(source: frame.source == .stderr ? .stderr : .stdout, payload: Data(line.utf8)))
                                }
                            }
                        } catch {
                            if !Task.isCancelled {
                                printer.print(container: s.name, DockerEngine.LogFrame(source: .stderr, payload: Data("(log stream ended: \(error))".utf8)))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One service of `ps --swarm`, with `docker service ls`'s fields and where its tasks run.
struct SwarmPsRow: Encodable, Sendable, Equatable {
    var ID: String
    var Name: String
    var Project: String
    var Service: String
    var Mode: String
    var Running: Int
    var Desired: Int
    var Image: String
    var Ports: [String]
    /// Node hostname -> tasks of the service running there.
    var Nodes: [String: Int]
    /// The latest errors of tasks that are not running, with their node.
    var Errors: [String]
    /// Named volumes are per node: each volume the service mounts, with the nodes that hold a copy
    /// used by a running task (`data@node-2`).
    var Volumes: [String]

    init(_ s: DockerEngine.Service, namespace: String, tasks: [DockerEngine.SwarmTask], nodes: [DockerEngine.Node]) {
        let hostnames = Dictionary(nodes.map { ($0.id, $0.description?.hostname ?? $0.id) }, uniquingKeysWith: { a, _ in a })
        ID = s.id
        Name = s.spec?.name ?? s.id
        Project = namespace
        Service = s.spec?.labels?["com.docker.compose.service"] ?? String(Name.dropFirst(namespace.count + 1))
        Mode = s.spec?.mode?.global != nil ? "global" : "replicated"
        let current = tasks.filter { $0.desiredState == .running }
        let running = current.filter { $0.status?.state == .running }
        Running = running.count
        Desired = s.spec?.mode?.replicated?.replicas.map(Int.init) ?? current.count
        Image = s.spec?.labels?[Orchestration.SwarmLabels.image] ?? s.spec?.taskTemplate?.containerSpec?.image ?? ""
        Ports = (s.endpoint?.ports ?? s.spec?.endpointSpec?.ports ?? []).map {
            let published = $0.publishedPort.map(String.init) ?? "*", target = $0.targetPort.map(String.init) ?? "?"
            return "\(published)->\(target)/\($0.protocol ?? "tcp") (\($0.publishMode?.rawValue ?? "ingress"))"
        }
        var perNode: [String: Int] = [:]
        for t in running { perNode[t.nodeID.flatMap { hostnames[$0] } ?? "?", default: 0] += 1 }
        Nodes = perNode
        Errors = current.filter { $0.status?.state != .running }.compactMap { t in
            guard let err = t.status?.err, !err.isEmpty else { return nil }
            return "\(t.nodeID.flatMap { hostnames[$0] } ?? "no node"): \(err)"
        }
        let volumes = (s.spec?.taskTemplate?.containerSpec?.mounts ?? []).filter { $0.type == "volume" }.compactMap(\.source)
        Volumes = volumes.flatMap { v in perNode.keys.sorted().map { "\(v)@\($0)" } }
    }
}

struct SwarmPsPayload: OutputRenderable, Sendable {
    var rows: [SwarmPsRow]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rows)
    }

    var table: OutputTable {
        .rows(
            headers: ["project", "service", "mode", "replicas", "image", "ports", "tasks per node", "volumes", "errors"],
            rows: rows.map { r in
                [
                    r.Project, r.Service, r.Mode, "\(r.Running)/\(r.Desired)", r.Image, r.Ports.isEmpty ? "-" : r.Ports.joined(separator: ", "),
                    r.Nodes.isEmpty ? "-" : r.Nodes.keys.sorted().map { "\($0): \(r.Nodes[$0]!)" }.joined(separator: ", "),
                    r.Volumes.isEmpty ? "-" : r.Volumes.joined(separator: ", "),
                    r.Errors.isEmpty ? "-" : r.Errors.joined(separator: "; "),
                ]
            })
    }
}
