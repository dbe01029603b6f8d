import DockerEngine

extension Orchestration {
    /// One row of `ps`: a container of a service, with its inspect details.
    public struct ServiceContainer: Sendable, Hashable {
        public var project: String
        public var service: String
        public var number: Int
        public var details: DockerEngine.ContainerInspect
        public init(project: String, service: String, number: Int, details: DockerEngine.ContainerInspect) {
            self.project = project
            self.service = service
            self.number = number
            self.details = details
        }
    }
}

extension Orchestration.Executor {
    /// The project's containers with their inspect details, ordered by service and number.
    /// With `projectName` nil: every compose-labelled container.
    public func status(projectName: String?, includeStopped: Bool = true) async throws(OrchestrationError) -> [Orchestration.ServiceContainer] {
        let engine = self.engine
        do {
            let containers = try await engine.listContainers(project: projectName).filter { !$0.isOneOff && (includeStopped || $0.containerState == .running) }
            let rows = try await withThrowingTaskGroup(of: Orchestration.ServiceContainer.self) { group in
                for c in containers {
                    group.addTask {
                        Orchestration.ServiceContainer(
                            project: c.composeProject ?? "", service: c.composeService ?? "", number: c.containerNumber,
                            details: try await engine.inspectContainer(id: c.id))
                    }
                }
                var out: [Orchestration.ServiceContainer] = []
                for try await r in group { out.append(r) }
                return out
            }
            return rows.sorted { ($0.project, $0.service, $0.number) < ($1.project, $1.service, $1.number) }
        } catch {
            throw Self.wrap(error, operation: "list containers of", target: projectName.map { "project \($0)" } ?? "compose projects")
        }
    }
}
