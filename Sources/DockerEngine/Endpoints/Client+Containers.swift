import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /containers/json`. `all` includes stopped containers.
    public func listContainers(all: Bool = true, filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.ContainerSummary] {
        try await get("/containers/json", query: [("all", all ? "1" : nil), ("filters", filters.queryValue)])
    }

    /// Maps to `GET /containers/{id}/json`.
    public func inspectContainer(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.ContainerInspect {
        try await get("/containers/\(Self.escape(id))/json")
    }

    /// Maps to `POST /containers/create`.
    public func createContainer(
        name: String? = nil, platform: String? = nil, _ config: DockerEngine.ContainerConfig
    ) async throws(DockerEngine.Error) -> DockerEngine.ContainerCreateResponse {
        try await post("/containers/create", query: [("name", name), ("platform", platform)], json: config)
    }

    /// Maps to `PUT /containers/{id}/archive?path=…`: extracts a tar archive (see
    /// `DockerEngine.TarWriter`) into the container's filesystem under `path`, which must exist;
    /// works on a created container before it starts. `copyUIDGID` keeps the archive's owners.
    public func copyToContainer(_ id: String, path: String, archive: Data, copyUIDGID: Bool = false) async throws(DockerEngine.Error) {
        _ = try await send(
            .put, "/containers/\(Self.escape(id))/archive", query: [("path", path), ("copyUIDGID", copyUIDGID ? "true" : nil)],
            body: archive, contentType: "application/x-tar")
    }

    /// Maps to `POST /containers/{id}/rename?name=…`.
    public func renameContainer(_ id: String, to name: String) async throws(DockerEngine.Error) {
        try await post("/containers/\(Self.escape(id))/rename", query: [("name", name)])
    }

    /// Maps to `POST /containers/{id}/start`. Starting a running container is not an error.
    public func startContainer(_ id: String) async throws(DockerEngine.Error) {
        try await post("/containers/\(Self.escape(id))/start")
    }

    /// Maps to `POST /containers/{id}/stop`. `timeout` is the grace period before SIGKILL
    /// (the container's own `StopTimeout`, else 10 s, when nil). Stopping a stopped container is not an error.
    public func stopContainer(_ id: String, timeout: Int? = nil, signal: String? = nil) async throws(DockerEngine.Error) {
        try await post(
            "/containers/\(Self.escape(id))/stop", query: [("t", timeout.map(String.init)), ("signal", signal)], timeout: Self.graceTimeout(timeout))
    }

    /// Maps to `POST /containers/{id}/restart`.
    public func restartContainer(_ id: String, timeout: Int? = nil) async throws(DockerEngine.Error) {
        try await post("/containers/\(Self.escape(id))/restart", query: [("t", timeout.map(String.init))], timeout: Self.graceTimeout(timeout))
    }

    /// Maps to `POST /containers/{id}/kill`.
    public func killContainer(_ id: String, signal: String = "SIGKILL") async throws(DockerEngine.Error) {
        try await post("/containers/\(Self.escape(id))/kill", query: [("signal", signal)])
    }

    /// Maps to `DELETE /containers/{id}`.
    public func removeContainer(_ id: String, force: Bool = false, volumes: Bool = false) async throws(DockerEngine.Error) {
        try await delete("/containers/\(Self.escape(id))", query: [("force", force ? "1" : nil), ("v", volumes ? "1" : nil)])
    }

    /// Maps to `POST /containers/{id}/wait`: blocks until the condition holds, returns the exit code.
    /// `timeout` limits the wait (none by default: cancel the task to stop waiting).
    public func waitContainer(
        _ id: String, condition: DockerEngine.WaitCondition = .notRunning, timeout: Duration? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.ContainerWaitResponse {
        try await post(
            "/containers/\(Self.escape(id))/wait", query: [("condition", condition.rawValue)], as: DockerEngine.ContainerWaitResponse.self,
            timeout: timeout ?? .seconds(366 * 24 * 3600))
    }

    /// Maps to `GET /containers/{id}/logs`: demultiplexed stdout/stderr frames, or raw output
    /// (as stdout) when the container has a TTY. With `follow` the stream lasts until the
    /// container stops or the task is cancelled.
    public func logs(_ id: String, options: DockerEngine.LogsOptions = .init()) async throws(DockerEngine.Error) -> DockerEngine.LogStream {
        try await openLogStream("/containers/\(Self.escape(id))/logs", options: options, until: true) { () async throws(DockerEngine.Error) in
            (try await inspectContainer(id)).config?.tty ?? false
        }
    }

    /// `GET …/logs` of a container or a service: the query both take, and the framing. API 1.42+
    /// names the framing in Content-Type; for older engines `tty` is asked (a TTY means raw output).
    /// `until`: whether the endpoint takes `options.until` (the services one does not).
    func openLogStream(
        _ path: String, options: DockerEngine.LogsOptions, until: Bool, tty: () async throws(DockerEngine.Error) -> Bool
    ) async throws(DockerEngine.Error) -> DockerEngine.LogStream {
        let response = try await openStream(
            .get, path,
            query: [
                ("stdout", options.stdout ? "1" : "0"),
                ("stderr", options.stderr ? "1" : "0"),
                ("follow", options.follow ? "1" : nil),
                ("timestamps", options.timestamps ? "1" : nil),
                ("tail", options.tail.map(String.init) ?? "all"),
                ("since", options.since.map(Self.unixTime)),
                ("until", until ? options.until.map(Self.unixTime) : nil),
            ])
        let multiplexed: Bool
        switch response.header("Content-Type") {
        case "application/vnd.docker.multiplexed-stream": multiplexed = true
        case "application/vnd.docker.raw-stream": multiplexed = false
        default: multiplexed = !(try await tty())
        }
        return DockerEngine.LogStream(body: response.body, multiplexed: multiplexed, endpoint: endpoint.description)
    }

    /// Maps to `GET /containers/{id}/stats?stream=false&one-shot=true`: one sample, without the
    /// engine's one-second wait for a previous sample (so `precpu_stats` is empty).
    public func stats(_ id: String, oneShot: Bool = true) async throws(DockerEngine.Error) -> ContainerStatsResponse {
        try await get("/containers/\(Self.escape(id))/stats", query: [("stream", "false"), ("one-shot", oneShot ? "true" : nil)])
    }

    /// Maps to `GET /containers/{id}/stats?stream=true`: a sample about every second until the
    /// task is cancelled (or the container is removed).
    public func streamStats(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<ContainerStatsResponse> {
        let response = try await openStream(.get, "/containers/\(Self.escape(id))/stats", query: [("stream", "true")])
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description)
    }

    /// A transfer limit for calls that wait `grace` seconds on the engine side.
    static func graceTimeout(_ grace: Int?) -> Duration? {
        .seconds(max(grace ?? 10, 0) + 30)
    }
}
