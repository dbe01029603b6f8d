import DockerEngine

extension Doctor.SwarmState {
    /// The manager's nodes, services (with their task counts) and tasks; nil when `engine` is not
    /// a manager of an active swarm. The three lists are read concurrently after `GET /info`.
    public static func read(_ engine: DockerEngine.Client) async throws -> Self? {
        let info = try await engine.info()
        guard info.swarm?.localNodeState == .active, info.swarm?.controlAvailable == true else { return nil }
        async let nodes = engine.listNodes()
        async let services = engine.listServices(status: true)
        async let tasks = engine.listTasks()
        return try await Self(nodes: nodes, services: services, tasks: tasks)
    }
}
