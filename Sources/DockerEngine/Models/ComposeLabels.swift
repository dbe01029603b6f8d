extension DockerEngine {
    /// Compose's label keys, the one spelling of `com.docker.compose.*` in the package. Values follow
    /// compose v2 (`oneoff` is "False"/"True"), so docker compose and StackPilot see each other's stacks.
    public enum ComposeLabels {
        public static let project = "com.docker.compose.project"
        public static let service = "com.docker.compose.service"
        public static let containerNumber = "com.docker.compose.container-number"
        public static let oneoff = "com.docker.compose.oneoff"
        public static let configHash = "com.docker.compose.config-hash"
        public static let configFiles = "com.docker.compose.project.config_files"
        public static let workingDir = "com.docker.compose.project.working_dir"
        public static let version = "com.docker.compose.version"
        public static let network = "com.docker.compose.network"
        public static let volume = "com.docker.compose.volume"
        public static let image = "com.docker.compose.image"
        public static let dependsOn = "com.docker.compose.depends_on"
        /// StackPilot's own: short hashes of each top-level field of the service's canonical
        /// configuration, so a recreate can say which fields differ. Ignored by compose.
        public static let fieldHashes = "io.stackpilot.config-fields"
        /// The compose version written into `com.docker.compose.version`. docker compose only
        /// displays it; StackPilot writes the compose-spec version it follows.
        public static let composeVersion = "2.27.0"
    }
}

extension DockerEngine.Filters {
    /// Objects labelled with compose project `project`.
    public func composeProject(_ project: String) -> Self { label("\(DockerEngine.ComposeLabels.project)=\(project)") }

    /// Objects labelled with compose service `service` (AND-ed with the other label filters).
    public func composeService(_ service: String) -> Self { label("\(DockerEngine.ComposeLabels.service)=\(service)") }
}

extension DockerEngine.ContainerSummary {
    public var composeProject: String? { labels?[DockerEngine.ComposeLabels.project] }
    public var composeService: String? { labels?[DockerEngine.ComposeLabels.service] }
    /// `container-number`, 1 when absent.
    public var containerNumber: Int { labels?[DockerEngine.ComposeLabels.containerNumber].flatMap(Int.init) ?? 1 }
    public var isOneOff: Bool { (labels?[DockerEngine.ComposeLabels.oneoff] ?? "False").lowercased() == "true" }
    public var configHash: String? { labels?[DockerEngine.ComposeLabels.configHash] }
}
