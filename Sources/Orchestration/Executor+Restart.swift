import DockerEngine

extension Orchestration.Executor {
    /// Restarts the containers of `services` (all when empty), dependencies first.
    public func restart(projectName: String, project: Orchestration.DesiredProject?, services: [String], timeout: Int?) async throws(OrchestrationError) {
        let engine = self.engine
        let containers: [DockerEngine.ContainerSummary]
        do {
            containers = try await engine.listContainers(project: projectName).filter { !$0.isOneOff }
        } catch {
            throw Self.wrap(error, operation: "list containers of", target: "project \(projectName)")
        }
        let known = Set(containers.compactMap(\.composeService))
        for s in services where !known.contains(s) && project?.service(s) == nil {
            throw .unknownService(s, project: projectName)
        }
        let chosen = services.isEmpty ? known : Set(services)
        let nodes = (project?.services.map(\.name) ?? known.sorted()).filter { chosen.contains($0) }
        var edges: [String: [Orchestration.DependencyGraph.Edge]] = [:]
        for n in nodes { edges[n] = project?.service(n)?.dependencies.map { Orchestration.DependencyGraph.Edge(to: $0.service) } ?? [] }
        let errors = Orchestration.Locked<[OrchestrationError]>([])
        _ = try await Orchestration.DependencyGraph(nodes: nodes, edges: edges).run { service in
            for c in containers where c.composeService == service {
                let outcome = await reported({ .container(name: c.name, verb: "restart", $0) }, operation: "restart container", target: c.name) {
                    try await engine.restartContainer(id: c.id, timeout: timeout)
                }
                if case .failure(let e) = outcome { errors.withLock { $0.append(e) } }
            }
        }
        try Self.throwCollected(errors.withLock { $0 })
    }
}
