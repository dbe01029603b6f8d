import DockerEngine

extension Orchestration {
    public struct DownOptions: Sendable {
        public var removeVolumes: Bool
        public var removeOrphans: Bool
        public var timeout: Int?
        public init(removeVolumes: Bool = false, removeOrphans: Bool = false, timeout: Int? = nil) {
            self.removeVolumes = removeVolumes
            self.removeOrphans = removeOrphans
            self.timeout = timeout
        }
    }
}

extension Orchestration.Executor {
    /// Removes the project's containers (dependents first), then its networks, and volumes when asked.
    /// `project` (when the compose file is known) gives the order and the orphans; without it every
    /// container labelled with `projectName` goes.
    public func down(projectName: String, project: Orchestration.DesiredProject?, options: Orchestration.DownOptions = .init()) async throws(OrchestrationError)
    {
        typealias Labels = DockerEngine.ComposeLabels
        let engine = self.engine
        let progress = self.progress
        // The networks are read alongside the containers (both reads, one round trip of waiting);
        // they are removed only once every container is gone.
        let networkNames = project?.networks.filter { !$0.external }.map(\.name) ?? []
        async let listedNetworks = Self.capture { try await engine.listNetworks(project: projectName, names: networkNames) }
        let containers: [DockerEngine.ContainerSummary]
        do {
            containers = try await engine.listContainers(project: projectName)
        } catch {
            _ = await listedNetworks
            throw Self.wrap(error, operation: "list containers of", target: "project \(projectName)")
        }
        let defined = project.map { Set($0.services.map(\.name)) }
        var doomed = containers
        if let defined, !options.removeOrphans {
            let orphans = containers.filter { !$0.isOneOff && !defined.contains($0.composeService ?? "") }
            if !orphans.isEmpty {
                progress(
                    .warning(
                        "orphan containers found for project '\(projectName)' (\(orphans.map(\.name).joined(separator: ", "))); remove them with --remove-orphans"
                    ))
                doomed.removeAll { c in orphans.contains(c) }
            }
        }
        // Order: dependents before their dependencies; services unknown to the file first.
        let services = Array(Set(doomed.map { $0.composeService ?? "" })).sorted()
        var edges: [String: [Orchestration.DependencyGraph.Edge]] = [:]
        for s in services {
            if let deps = project?.service(s)?.dependencies {
                edges[s] = deps.map { Orchestration.DependencyGraph.Edge(to: $0.service) }
            } else if let any = doomed.first(where: { $0.composeService == s }), let raw = any.labels?[Labels.dependsOn] {
                edges[s] = raw.split(separator: ",").compactMap { $0.split(separator: ":").first.map { Orchestration.DependencyGraph.Edge(to: String($0)) } }
            }
        }
        let graph = Orchestration.DependencyGraph(nodes: services, edges: edges).reversed
        let errors = Orchestration.Locked<[OrchestrationError]>([])
        let byService = Dictionary(grouping: doomed) { $0.composeService ?? "" }
        let timeout = options.timeout
        // Stop dependents before their dependencies. Removal needs no order: each container is
        // removed as soon as it has stopped, while its dependencies are still being stopped.
        let (stopped, stoppedSink) = AsyncStream.makeStream(of: DockerEngine.ContainerSummary.self)
        let all = doomed
        await withTaskGroup(of: Void.self) { phases in
            phases.addTask {
                _ = try? await graph.run { service in
                    await withTaskGroup(of: Void.self) { group in
                        for c in byService[service] ?? [] {
                            guard [.running, .restarting, .paused].contains(c.containerState) else {
                                stoppedSink.yield(c)
                                continue
                            }
                            group.addTask {
                                let stopTimeout = timeout ?? project?.service(service)?.stopTimeout
                                // A failed stop is said but not collected: the forced removal below stops it.
                                _ = await reported(
                                    { .container(name: c.name, verb: "stop", $0) }, operation: "stop container", target: c.name,
                                    failure: { (Self.message(of: $0), Self.wrap($0, operation: "stop container", target: c.name)) }
                                ) {
                                    try await engine.stopContainer(id: c.id, timeout: stopTimeout)
                                }
                                stoppedSink.yield(c)
                            }
                        }
                    }
                }
                // Whatever the graph did not reach (a cancelled run) is still removed, as before.
                for c in all { stoppedSink.yield(c) }
                stoppedSink.finish()
            }
            phases.addTask {
                await withTaskGroup(of: Void.self) { group in
                    var removed = Set<String>()
                    for await c in stopped where removed.insert(c.id).inserted {
                        group.addTask {
                            let outcome = await reported({ .container(name: c.name, verb: "remove", $0) }, operation: "remove container", target: c.name) {
                                try await engine.removeContainer(id: c.id, force: true, volumes: false)
                            }
                            if case .failure(let e) = outcome { errors.withLock { $0.append(e) } }
                        }
                    }
                }
            }
        }
        // Networks, then volumes.
        do {
            let networks = try await listedNetworks.get().filter { n in
                // A network another project created (a shared one) is that project's to remove.
                n.labels?[Labels.project] == projectName || (n.labels?[Labels.project] == nil && networkNames.contains(n.name))
            }
            await withTaskGroup(of: Void.self) { group in
                for n in networks {
                    group.addTask {
                        let outcome = await reported(
                            { .resource(kind: "network", name: n.name, verb: "remove", $0) }, operation: "remove network", target: n.name
                        ) {
                            try await engine.removeNetwork(name: n.name)
                        }
                        if case .failure(let e) = outcome { errors.withLock { $0.append(e) } }
                    }
                }
            }
            if options.removeVolumes {
                let volumeNames = project?.volumes.filter { !$0.external }.map(\.name) ?? []
                let volumes = try await engine.listVolumes(project: projectName, names: volumeNames).filter { v in
                    v.labels?[Labels.project] == projectName || (v.labels?[Labels.project] == nil && volumeNames.contains(v.name))
                }
                for v in volumes {
                    let outcome = await reported({ .resource(kind: "volume", name: v.name, verb: "remove", $0) }, operation: "remove volume", target: v.name) {
                        try await engine.removeVolume(name: v.name)
                    }
                    if case .failure(let e) = outcome { errors.withLock { $0.append(e) } }
                }
            }
        } catch {
            errors.withLock { $0.append(Self.wrap(error, operation: "list networks/volumes of", target: "project \(projectName)")) }
        }
        try Self.throwCollected(errors.withLock { $0 })
    }
}
