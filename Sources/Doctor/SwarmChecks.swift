import DockerEngine
import Foundation
import HTTPTransport
import PrometheusAPI

extension Doctor {
    /// What the swarm checks judge: the manager's view of the cluster, read once per check.
    public struct SwarmState: Sendable, Equatable {
        public var nodes: [DockerEngine.Node]
        public var services: [DockerEngine.Service]
        public var tasks: [DockerEngine.SwarmTask]

        public init(nodes: [DockerEngine.Node], services: [DockerEngine.Service], tasks: [DockerEngine.SwarmTask]) {
            self.nodes = nodes
            self.services = services
            self.tasks = tasks
        }

        /// The node's hostname (what `docker node ls` shows), else its id.
        public func nodeName(_ id: String?) -> String {
            guard let id, !id.isEmpty else { return "no node" }
            return nodes.first { $0.id == id }?.description?.hostname ?? String(id.prefix(12))
        }

        public func serviceName(_ id: String?) -> String {
            guard let id else { return "?" }
            return services.first { $0.id == id }?.spec?.name ?? String(id.prefix(12))
        }

        /// `web.2` for a replica, `web.<node>` for a global task, as `docker service ps` names them.
        public func taskName(_ task: DockerEngine.SwarmTask) -> String {
            let service = serviceName(task.serviceID)
            if let slot = task.slot, slot > 0 { return "\(service).\(slot)" }
            return "\(service).\(nodeName(task.nodeID))"
        }
    }

    /// Whether this kernel has IPVS, which the swarm's service VIPs and its ingress routing mesh
    /// need; `dnsrr` endpoints and host-mode ports work without it.
    public struct IPVSSupport: Sendable, Equatable {
        public var available: Bool
        /// How it was told, e.g. "/proc/net/ip_vs exists" or "no ip_vs in /proc/modules, ...".
        public var evidence: [String]

        public init(available: Bool, evidence: [String]) {
            self.available = available
            self.evidence = evidence
        }

        /// The files the decision reads, so that it is a pure function of them.
        public struct Probe: Sendable, Equatable {
            public var kernel: String
            /// `/proc/net/ip_vs` exists: the module is loaded (or built in) in this namespace's kernel.
            public var procNetIPVS: Bool
            /// `/proc/modules`, nil when unreadable.
            public var modules: String?
            /// `/lib/modules/<kernel>/modules.builtin`, nil when absent.
            public var builtin: String?
            /// Files named `ip_vs.ko*` under `/lib/modules/<kernel>/`: loadable by dockerd's modprobe.
            public var moduleFiles: [String]
            /// `/boot/config-<kernel>`, nil when absent.
            public var config: String?

            public init(kernel: String, procNetIPVS: Bool, modules: String?, builtin: String?, moduleFiles: [String], config: String?) {
                self.kernel = kernel
                self.procNetIPVS = procNetIPVS
                self.modules = modules
                self.builtin = builtin
                self.moduleFiles = moduleFiles
                self.config = config
            }
        }

        public static func decide(_ p: Probe) -> IPVSSupport {
            if p.procNetIPVS { return IPVSSupport(available: true, evidence: ["/proc/net/ip_vs exists (IPVS is loaded)"]) }
            if let modules = p.modules, modules.split(separator: "\n").contains(where: { $0.hasPrefix("ip_vs ") }) {
                return IPVSSupport(available: true, evidence: ["ip_vs is in /proc/modules"])
            }
            if let builtin = p.builtin, builtin.split(separator: "\n").contains(where: { $0.hasSuffix("/ip_vs.ko") }) {
                return IPVSSupport(available: true, evidence: ["ip_vs is built into kernel \(p.kernel) (modules.builtin)"])
            }
            if let file = p.moduleFiles.first {
                return IPVSSupport(available: true, evidence: ["\(file) can be loaded (the engine loads it when a service needs it)"])
            }
            if let config = p.config, config.split(separator: "\n").contains(where: { $0 == "CONFIG_IP_VS=y" || $0 == "CONFIG_IP_VS=m" }) {
                return IPVSSupport(available: true, evidence: ["/boot/config-\(p.kernel) enables CONFIG_IP_VS"])
            }
            return IPVSSupport(
                available: false,
                evidence: [
                    "kernel \(p.kernel): no /proc/net/ip_vs, \(p.modules == nil ? "no /proc/modules" : "no ip_vs in /proc/modules"), "
                        + "no ip_vs.ko under /lib/modules/\(p.kernel)\(p.config == nil ? "" : ", CONFIG_IP_VS off in /boot/config-\(p.kernel)")"
                ])
        }

        /// This machine's kernel (the lab's nodes share it; a local engine runs on it).
        public static func thisKernel() -> IPVSSupport {
            let fm = FileManager.default
            var name = utsname()
            uname(&name)
            let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let moduleDir = "/lib/modules/\(kernel)"
            var files: [String] = []
            for dir in ["\(moduleDir)/kernel/net/netfilter/ipvs", "\(moduleDir)/updates", "\(moduleDir)/extra"] {
                for entry in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where entry.hasPrefix("ip_vs.ko") { files.append("\(dir)/\(entry)") }
            }
            return decide(
                Probe(
                    kernel: kernel, procNetIPVS: fm.fileExists(atPath: "/proc/net/ip_vs"),
                    modules: try? String(contentsOfFile: "/proc/modules", encoding: .utf8),
                    builtin: try? String(contentsOfFile: "\(moduleDir)/modules.builtin", encoding: .utf8),
                    moduleFiles: files, config: try? String(contentsOfFile: "/boot/config-\(kernel)", encoding: .utf8)))
        }
    }

    /// Swarm: nodes, managers and quorum, services converged, recent task failures, published ports
    /// against IPVS, overlay reachability (each node's tasks scraped by Prometheus across the
    /// overlay), the registry. Only for a swarm deployment (the manifest's `swarm.enabled` or
    /// `--swarm`); `engine` is a manager's.
    static func swarmChecks(
        _ engine: DockerEngine.Client, prometheus: PrometheusAPI.Client, registry: String?,
        ipvs: @escaping @Sendable () -> IPVSSupport = { IPVSSupport.thisKernel() }
    ) -> [Check] {
        let state: @Sendable () async throws -> SwarmState? = { try await SwarmState.read(engine) }
        func check(_ name: String, timeout: Duration = .seconds(8), _ judge: @escaping @Sendable (SwarmState) async throws -> Finding) -> Check {
            Check(.swarm, name, timeout: timeout) {
                guard let s = try await state() else { return notAManagerFinding(try await engine.info()) }
                return try await judge(s)
            }
        }
        return [
            check("nodes") { swarmNodesFinding($0.nodes) },
            check("managers") { swarmManagersFinding($0.nodes) },
            check("services") { swarmServicesFinding($0) },
            check("tasks") { swarmTaskFailuresFinding($0, now: Date()) },
            check("ports") { swarmPortsFinding($0.services, ipvs: ipvs()) },
            check("overlay", timeout: .seconds(10)) { s in
                guard let targets = try? await prometheus.targets() else {
                    return .notApplicable("cannot look: Prometheus does not answer (see the prometheus group)").coded("swarm.overlay.unknown")
                }
                return swarmOverlayFinding(s, targets: targets.activeTargets)
            },
            check("registry") { s in swarmRegistryFinding(s, registry: registry, answers: await registryAnswers(registry)) },
        ]
    }

    static func notAManagerFinding(_ info: DockerEngine.SystemInfo) -> Finding {
        let state = info.swarm?.localNodeState.map { "\($0)" } ?? "unknown"
        return .failure(
            "the engine is not a manager of an active swarm (local node state: \(state))",
            remedy: [
                "point --host/DOCKER_HOST at a manager of the swarm (the lab: scripts/swarm-lab up prints it)",
                "or turn swarm off for this deployment (swarm.enabled in stacks/stackpilot.yml, no --swarm)",
            ]
        ).coded("swarm.inactive")
    }

    // MARK: - Decisions (pure)

    static func nodeLine(_ node: DockerEngine.Node) -> String {
        let role = node.spec?.role.map { "\($0)" } ?? "?"
        let state = node.status?.state.map { "\($0)" } ?? "?"
        let availability = node.spec?.availability.map { "\($0)" } ?? "?"
        let message = node.status?.message.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? ""
        return "\(node.description?.hostname ?? node.id): \(role), \(state), \(availability)\(message)"
    }

    /// Down (or disconnected) nodes fail; drained or paused ones warn: they take no new tasks.
    static func swarmNodesFinding(_ nodes: [DockerEngine.Node]) -> Finding {
        let evidence = nodes.map(nodeLine)
        let name = { (n: DockerEngine.Node) in n.description?.hostname ?? n.id }
        let down = nodes.filter { $0.status?.state != .ready }
        if !down.isEmpty {
            return .failure(
                "\(down.map(name).joined(separator: ", ")) \(down.count == 1 ? "is" : "are") not ready", evidence: evidence,
                remedy: [
                    "start the node's engine (the lab: docker start <node container>), or remove it: docker node rm --force <node>",
                    "its tasks are rescheduled on the other nodes where their constraints allow; see the tasks check",
                ]
            ).coded("swarm.nodes.down")
        }
        let drained = nodes.filter { $0.spec?.availability == .drain }
        if !drained.isEmpty {
            return .warning(
                "\(drained.map(name).joined(separator: ", ")) \(drained.count == 1 ? "is" : "are") drained: no tasks run there",
                evidence: evidence, remedy: ["when its maintenance is over: docker node update --availability active <node>"]
            ).coded("swarm.nodes.drained")
        }
        let paused = nodes.filter { $0.spec?.availability == .pause }
        if !paused.isEmpty {
            return .warning(
                "\(paused.map(name).joined(separator: ", ")) \(paused.count == 1 ? "is" : "are") paused: no new tasks go there",
                evidence: evidence, remedy: ["docker node update --availability active <node>"]
            ).coded("swarm.nodes.paused")
        }
        return .ok("\(nodes.count) node\(nodes.count == 1 ? "" : "s") ready and active", evidence: evidence).coded("swarm.nodes.ok")
    }

    /// Raft needs floor(M/2)+1 reachable managers out of M: fewer is a lost quorum (no scheduling,
    /// no updates); exactly that many, with one already unreachable, is one failure from it.
    static func swarmManagersFinding(_ nodes: [DockerEngine.Node]) -> Finding {
        let managers = nodes.filter { $0.managerStatus != nil || $0.spec?.role == .manager }
        let reachable = managers.filter { $0.managerStatus?.reachability == .reachable }
        let quorum = managers.count / 2 + 1
        let evidence =
            managers.map { m in
                "\(m.description?.hostname ?? m.id): \(m.managerStatus?.reachability.map { "\($0)" } ?? "unknown")\(m.managerStatus?.leader == true ? ", leader" : "")"
            } + ["\(reachable.count) of \(managers.count) managers reachable, quorum \(quorum)"]
        let unreachable = managers.filter { $0.managerStatus?.reachability != .reachable }.map { $0.description?.hostname ?? $0.id }
        if reachable.count < quorum {
            return .failure(
                "quorum lost: \(reachable.count) of \(managers.count) managers reachable, \(quorum) needed", evidence: evidence,
                remedy: [
                    "bring back the unreachable managers: \(unreachable.joined(separator: ", "))",
                    "if they are gone for good: docker swarm init --force-new-cluster on a surviving manager",
                ]
            ).coded("swarm.quorum.lost")
        }
        if !unreachable.isEmpty {
            let atRisk = reachable.count == quorum
            return .warning(
                "\(unreachable.joined(separator: ", ")) unreachable\(atRisk ? ": quorum at risk, one more manager lost stops the swarm" : "")",
                evidence: evidence, remedy: ["bring the manager back, or demote and remove it: docker node demote <node>; docker node rm <node>"]
            )
            .coded(atRisk ? "swarm.quorum.at-risk" : "swarm.managers.unreachable")
        }
        return .ok("\(managers.count) manager\(managers.count == 1 ? "" : "s") reachable (quorum \(quorum))", evidence: evidence).coded("swarm.managers.ok")
    }

    /// A service's running tasks against what it wants: `Replicas` for a replicated service, one
    /// per eligible node for a global one (the engine's own counts, `ServiceStatus.RunningTasks`
    /// and `DesiredTasks`, when it sends them: `GET /services?status=true`).
    public struct ServiceConvergence: Sendable, Equatable {
        public var service: String
        public var running: Int
        public var desired: Int
        public var global: Bool
        public var converged: Bool { running == desired }
    }

    public static func convergence(_ state: SwarmState) -> [ServiceConvergence] {
        let usable = Set(state.nodes.filter { $0.status?.state == .ready && $0.spec?.availability == .active }.map(\.id))
        return state.services.map { service in
            let tasks = state.tasks.filter { $0.serviceID == service.id }
            let running =
                service.serviceStatus?.runningTasks.map { Int($0) }
                ?? tasks.filter { $0.desiredState == .running && $0.status?.state == .running }.count
            let global = service.spec?.mode?.global != nil
            let desired: Int
            if let count = service.serviceStatus?.desiredTasks {
                desired = Int(count)
            } else if global {
                desired = Set(tasks.filter { $0.desiredState == .running }.compactMap(\.nodeID)).intersection(usable).count
            } else {
                desired = Int(service.spec?.mode?.replicated?.replicas ?? 1)
            }
            return ServiceConvergence(service: service.spec?.name ?? service.id, running: running, desired: desired, global: global)
        }.sorted { $0.service < $1.service }
    }

    static func swarmServicesFinding(_ state: SwarmState) -> Finding {
        let all = convergence(state)
        let evidence = all.map { "\($0.service): \($0.running)/\($0.desired)\($0.global ? " (global)" : "")" }
        guard !all.isEmpty else { return .warning("no service runs on this swarm", remedy: ["deploy: stackpilot up --swarm"]).coded("swarm.services.none") }
        let behind = all.filter { !$0.converged }
        if !behind.isEmpty {
            return .failure(
                "\(behind.map { "\($0.service) \($0.running)/\($0.desired)" }.joined(separator: ", ")) not converged", evidence: evidence,
                remedy: [
                    "the tasks check says why their tasks do not run (placement, image, exit code)",
                    "docker service ps --no-trunc <service> shows every task's error",
                ]
            ).coded("swarm.services.not-converged")
        }
        return .ok("every service converged (\(all.count) service\(all.count == 1 ? "" : "s"))", evidence: evidence).coded("swarm.services.converged")
    }

    /// What a task's error means, with a stable code: the task cannot be placed, its image cannot
    /// be pulled on its node, it ran out of memory, or it exited.
    public enum TaskProblem: String, Sendable, Equatable {
        case unplaceable = "swarm.tasks.unplaceable"
        case image = "swarm.tasks.image"
        case oom = "swarm.tasks.oom"
        case exited = "swarm.tasks.exited"
        case other = "swarm.tasks.failed"

        public static func classify(_ task: DockerEngine.SwarmTask) -> TaskProblem? {
            let err = (task.status?.err ?? "").lowercased()
            let state = task.status?.state
            if err.contains("no suitable node") { return .unplaceable }
            if err.contains("no such image") || err.contains("manifest unknown") || err.contains("pull access denied") || err.contains("image not found")
                || err.contains("failed to resolve reference")
            {
                return .image
            }
            guard state == .failed || state == .rejected else { return nil }
            let code = task.status?.containerStatus?.exitCode
            if err.contains("oom") || code == 137 && err.contains("memory") { return .oom }
            if code != nil && code != 0 || err.contains("non-zero exit") { return .exited }
            return .other
        }

        var remedy: String {
            switch self {
            case .unplaceable: "no node meets the task's constraints or reservations: check placement and deploy.resources.reservations against docker node ls"
            case .image: "push the image to the registry every node pulls from (stackpilot up --swarm pushes local images), or fix its name"
            case .oom: "the task hit its memory limit: raise deploy.resources.limits.memory, or find what grows (stackpilot stats)"
            case .exited: "read the task's logs: stackpilot logs <service> (or docker service logs <service>)"
            case .other: "docker service ps --no-trunc <service> shows the whole error"
            }
        }
    }

    /// Tasks that failed or could not be placed within `window` (Swarm keeps a few past tasks per
    /// slot): each with its error and node. Unplaceable tasks of a service that still wants them
    /// fail; past failures of a service that has since converged warn.
    static func swarmTaskFailuresFinding(_ state: SwarmState, now: Date, window: TimeInterval = 600) -> Finding {
        let converged = Dictionary(convergence(state).map { ($0.service, $0.converged) }, uniquingKeysWith: { a, _ in a })
        var problems: [(TaskProblem, DockerEngine.SwarmTask)] = []
        for task in state.tasks {
            guard let problem = TaskProblem.classify(task) else { continue }
            let pending = task.desiredState == .running && !(task.status?.state?.isTerminal ?? false)
            if !pending, let stamp = task.status?.timestamp.flatMap(ContainerStatsResponse.parseTime), now.timeIntervalSince(stamp) > window { continue }
            problems.append((problem, task))
        }
        guard !problems.isEmpty else { return .ok("no task failed in the last \(Int(window / 60)) minutes").coded("swarm.tasks.ok") }
        let evidence = problems.map { problem, task in
            var line = "\(state.taskName(task)) on \(state.nodeName(task.nodeID)): \(task.status?.state.map { "\($0)" } ?? "?")"
            if let err = task.status?.err, !err.isEmpty { line += ": \(err)" }
            if let code = task.status?.containerStatus?.exitCode, code != 0 { line += " (exit code \(code))" }
            return line
        }
        var seen = Set<String>()
        let remedy = problems.map(\.0.remedy).filter { seen.insert($0).inserted }
        let current = problems.filter { _, task in converged[state.serviceName(task.serviceID)] == false }
        let worst = (current.isEmpty ? problems : current).map(\.0)
        let code = [TaskProblem.unplaceable, .image, .oom, .exited, .other].first { worst.contains($0) }!
        let summary = "\(problems.count) task\(problems.count == 1 ? "" : "s") failed or could not be placed: \(evidence[0])"
        return current.isEmpty
            ? .warning(summary + " (the services have converged since)", evidence: evidence, remedy: remedy).coded(code.rawValue)
            : .failure(summary, evidence: evidence, remedy: remedy).coded(code.rawValue)
    }

    /// Without IPVS the VIP of a service and the ingress routing mesh answer nothing: every
    /// service reached by name must be `endpoint_mode: dnsrr`, every published port `mode: host`.
    static func swarmPortsFinding(_ services: [DockerEngine.Service], ipvs: IPVSSupport) -> Finding {
        var needs: [String] = []
        for service in services.sorted(by: { ($0.spec?.name ?? "") < ($1.spec?.name ?? "") }) {
            let name = service.spec?.name ?? service.id
            let endpoint = service.spec?.endpointSpec
            let ingress = (endpoint?.ports ?? []).filter { ($0.publishMode ?? .ingress) == .ingress }
            let vip = (endpoint?.mode ?? .vip) == .vip && !(service.spec?.taskTemplate?.networks ?? []).isEmpty
            if vip { needs.append("\(name): endpoint_mode vip") }
            if !ingress.isEmpty {
                needs.append(
                    "\(name): ingress port\(ingress.count == 1 ? "" : "s") "
                        + ingress.map { "\($0.publishedPort.map(String.init) ?? "?"):\($0.targetPort.map(String.init) ?? "?")" }.joined(separator: ", "))
            }
        }
        if ipvs.available {
            return .ok("this kernel has IPVS: service VIPs and the ingress routing mesh work", evidence: ipvs.evidence + needs).coded("swarm.ports.ok")
        }
        guard needs.isEmpty else {
            return .failure(
                "this kernel has no IPVS, and \(needs.count) endpoint\(needs.count == 1 ? " needs" : "s need") it", evidence: ipvs.evidence + needs,
                remedy: [
                    "set deploy.endpoint_mode: dnsrr on these services (clients then reach the tasks by DNS round robin)",
                    "publish ports in host mode (ports: - {target: 9090, published: 9090, mode: host}): the task's node answers",
                    "or load IPVS on every node: modprobe ip_vs (a kernel with CONFIG_IP_VS)",
                ]
            ).coded("swarm.ports.no-ipvs")
        }
        return .ok("no IPVS on this kernel, and no service needs it (dnsrr endpoints, host-mode ports)", evidence: ipvs.evidence).coded("swarm.ports.ok")
    }

    /// Prometheus, on a manager, scrapes each task at its overlay address: a node with a task
    /// whose target is up is reachable over the overlay; a node whose every target is down is not.
    static func swarmOverlayFinding(_ state: SwarmState, targets: [PrometheusAPI.Target]) -> Finding {
        let byNode = Dictionary(grouping: targets.filter { $0.labels["node"] != nil }) { $0.labels["node"]! }
        let ready = state.nodes.filter { $0.status?.state == .ready }.compactMap { $0.description?.hostname }.sorted()
        guard !byNode.isEmpty else {
            return .notApplicable(
                "no Prometheus target carries a node label: the swarm monitoring configuration is not loaded",
                evidence: ["stacks/prometheus/prometheus-swarm.yml labels each task's target with its node"]
            ).coded("swarm.overlay.unknown")
        }
        var evidence: [String] = []
        var unreachable: [String] = []
        for node in ready {
            let mine = byNode[node] ?? []
            let up = mine.filter { $0.health == .up }
            if mine.isEmpty {
                evidence.append("\(node): no target (no scraped task runs there)")
            } else if up.isEmpty {
                unreachable.append(node)
                evidence.append("\(node): every target down, e.g. \(mine[0].scrapeUrl): \(mine[0].lastError)")
            } else {
                evidence.append("\(node): \(up.count)/\(mine.count) targets up over the overlay")
            }
        }
        if !unreachable.isEmpty {
            return .failure(
                "Prometheus reaches no task on \(unreachable.joined(separator: ", ")) over the overlay", evidence: evidence,
                remedy: [
                    "the overlay's data path (VXLAN, UDP 4789) and the gossip port (7946 TCP/UDP) must pass between the nodes",
                    "check the node's engine log for 'memberlist' or 'vxlan' errors",
                ]
            ).coded("swarm.overlay.unreachable")
        }
        return .ok("every node's tasks answer over the overlay", evidence: evidence).coded("swarm.overlay.ok")
    }

    /// What `GET /v2/` of the registry got from here.
    public enum RegistryAnswer: Sendable, Equatable {
        case status(Int)
        /// A TLS server answered whose certificate this process does not trust: the engines trust
        /// a registry's CA through their own `/etc/docker/certs.d/<host>/ca.crt` (as the lab's do).
        case untrustedTLS(String)
        case noAnswer(String)
    }

    /// `GET https://<registry>/v2/` from here, then plain HTTP when nothing speaks TLS there (a
    /// TLS registry answers plain HTTP with 400); nil when no registry is configured.
    static func registryAnswers(_ registry: String?) async -> RegistryAnswer? {
        guard let registry, let host = registry.split(separator: "/").first else { return nil }
        func get(_ scheme: String) async throws -> Int {
            let transport = try CurlTransport(
                endpoint: HTTPEndpoint(address: .url("\(scheme)://\(host)")), options: .init(connectTimeout: .seconds(2), timeout: .seconds(4)))
            return try await transport.send(HTTPRequest(path: "/v2/")).status
        }
        do {
            return .status(try await get("https"))
        } catch let error as CurlError where error.kind == .tls && error.code == 60 {  // CURLE_PEER_FAILED_VERIFICATION
            return .untrustedTLS("\(error)")
        } catch {
            do { return .status(try await get("http")) } catch { return .noAnswer("\(error)") }
        }
    }

    /// The registry answers here, and no node failed to pull an image (a node that cannot reach
    /// it shows as a task rejected with a pull error on that node).
    static func swarmRegistryFinding(_ state: SwarmState, registry: String?, answers: RegistryAnswer?) -> Finding {
        let pulls = state.tasks.filter { TaskProblem.classify($0) == .image && $0.desiredState == .running }
        let pullEvidence = pulls.map { "\(state.taskName($0)) on \(state.nodeName($0.nodeID)): \($0.status?.err ?? "")" }
        guard let registry else {
            return pulls.isEmpty
                ? .notApplicable("no registry configured (swarm.registry): the nodes pull the images as written").coded("swarm.registry.none")
                : .failure(
                    "nodes cannot pull their images, and no registry is configured", evidence: pullEvidence,
                    remedy: ["set swarm.registry in stacks/stackpilot.yml (the lab: scripts/swarm-lab up prints it)"]
                ).coded("swarm.registry.pull-failed")
        }
        guard let answers else { return .notApplicable("no registry configured").coded("swarm.registry.none") }
        switch answers {
        case .status(200), .status(401), .untrustedTLS:
            let seen =
                switch answers {
                case .status(let status): "GET /v2/ answers \(status) here"
                default: "GET https://\(registry)/v2/ answers over TLS with a certificate this process does not trust (the engines trust it)"
                }
            if !pulls.isEmpty {
                let nodes = Set(pulls.map { state.nodeName($0.nodeID) }).sorted()
                return .failure(
                    "\(nodes.joined(separator: ", ")) cannot pull from \(registry)", evidence: [seen] + pullEvidence,
                    remedy: [
                        "the nodes must reach \(registry): check its address from the nodes' network (and insecure-registries for plain HTTP)",
                        "push the image: stackpilot up --swarm pushes local images to \(registry)",
                    ]
                ).coded("swarm.registry.pull-failed")
            }
            return .ok("\(registry) answers, and no node failed to pull", evidence: [seen]).coded("swarm.registry.ok")
        case .status(let status):
            return .failure(
                "\(registry) answers GET /v2/ with \(status): not a registry", evidence: pullEvidence, remedy: ["check swarm.registry in stacks/stackpilot.yml"]
            ).coded("swarm.registry.unreachable")
        case .noAnswer(let error):
            return .failure(
                "\(registry) does not answer: \(error)", evidence: pullEvidence,
                remedy: [
                    "start it (the lab: scripts/swarm-lab up starts it beside the nodes)", "or fix swarm.registry in stacks/stackpilot.yml",
                ]
            ).coded("swarm.registry.unreachable")
        }
    }
}
