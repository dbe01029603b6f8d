extension Orchestration {
    /// One step of a plan, with the reason it is needed.
    public struct PlannedAction: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
            case createNetwork = "create-network"
            case createVolume = "create-volume"
            case pullImage = "pull"
            case buildImage = "build"
            case createContainer = "create"
            case recreateContainer = "recreate"
            case startContainer = "start"
            case restartContainer = "restart"
            case removeContainer = "remove"
            case removeOrphan = "remove-orphan"
            case upToDate = "up-to-date"
            // Swarm (`SwarmPlanner`): the target is the swarm object's name.
            case pushImage = "push"
            case createConfig = "create-config"
            case createSecret = "create-secret"
            case createService = "create-service"
            case updateService = "update-service"
            case removeService = "remove-service"
            case removeConfig = "remove-config"
            case removeSecret = "remove-secret"
        }

        public var kind: Kind
        public var service: String?
        /// The network, volume, image or container name the action is about.
        public var target: String
        public var containerID: String?
        public var number: Int?
        public var reason: String
        /// For recreate: the top-level service fields whose value changed.
        public var changedFields: [String]

        public init(
            kind: Kind, service: String? = nil, target: String, containerID: String? = nil, number: Int? = nil, reason: String, changedFields: [String] = []
        ) {
            self.kind = kind
            self.service = service
            self.target = target
            self.containerID = containerID
            self.number = number
            self.reason = reason
            self.changedFields = changedFields
        }

        /// Whether the action changes engine state.
        public var isWrite: Bool { kind != .upToDate }
    }

    /// What `up` will do for one project.
    public struct Plan: Sendable, Codable {
        public var project: String
        public var actions: [PlannedAction]
        /// Things worth saying that do not stop the plan (orphans left alone, optional dependency missing...).
        public var warnings: [String]
        /// Things that stop the plan before anything is touched (bad input).
        public var problems: [String]

        public init(project: String, actions: [PlannedAction] = [], warnings: [String] = [], problems: [String] = []) {
            self.project = project
            self.actions = actions
            self.warnings = warnings
            self.problems = problems
        }

        /// True when executing the plan performs no engine write.
        public var isUpToDate: Bool { actions.allSatisfy { !$0.isWrite } }

        public func actions(_ kind: PlannedAction.Kind) -> [PlannedAction] { actions.filter { $0.kind == kind } }
        public func actions(for service: String) -> [PlannedAction] { actions.filter { $0.service == service } }
    }
}
