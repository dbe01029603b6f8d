import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /images/json`.
    public func listImages(all: Bool = false, filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.ImageSummary] {
        try await get("/images/json", query: [("all", all ? "1" : nil), ("filters", filters.queryValue)])
    }

    /// Maps to `GET /images/{name}/json`.
    public func inspectImage(_ name: String) async throws(DockerEngine.Error) -> DockerEngine.ImageInspect {
        try await get("/images/\(Self.escape(name))/json")
    }

    /// Maps to `POST /images/create?fromImage=…&tag=…`: the progress stream of a pull. An
    /// `errorDetail` record in the (200) stream throws `.stream`. `registryAuth` is the
    /// base64url JSON of `X-Registry-Auth`; it is sent as a header only, never logged.
    public func pullImage(
        _ reference: String, platform: String? = nil, registryAuth: String? = nil, timeout: Duration? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<DockerEngine.ProgressMessage> {
        let parsed = DockerEngine.ImageReference(reference)
        let response = try await openStream(
            .post, "/images/create",
            query: [
                ("fromImage", parsed.repository), ("tag", parsed.tag), ("platform", platform),
            ], headers: Self.registryAuthHeader(registryAuth), timeout: timeout)
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description, check: Self.failOnErrorDetail(reference))
    }

    /// Maps to `POST /images/{name}/push?tag=…`: the progress stream of a push of `reference`
    /// (`registry:5000/repo:tag`) to its registry. An `error` record in the (200) stream throws
    /// `.stream`. `registryAuth` is the base64url JSON of `X-Registry-Auth` (sent as a header only,
    /// never logged); without credentials an empty one is sent, as the docker CLI does (engines
    /// before API 1.42 refuse a push without the header).
    public func pushImage(
        _ reference: String, registryAuth: String? = nil, timeout: Duration? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<DockerEngine.ProgressMessage> {
        let parsed = DockerEngine.ImageReference(reference)
        let response = try await openStream(
            .post, "/images/\(Self.escape(parsed.repository))/push", query: [("tag", parsed.isDigest ? nil : parsed.tag)],
            headers: Self.registryAuthHeader(registryAuth ?? Self.anonymousRegistryAuth), timeout: timeout)
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description, check: Self.failOnErrorDetail(reference))
    }

    /// Pushes and waits for the end; returns the digest the registry gave (`sha256:…`), when it said.
    @discardableResult
    public func push(_ reference: String, registryAuth: String? = nil, timeout: Duration? = nil) async throws(DockerEngine.Error) -> String? {
        var digest: String?
        do {
            for try await message in try await pushImage(reference, registryAuth: registryAuth, timeout: timeout) {
                // `<tag>: digest: sha256:… size: 528`
                if let status = message.status, let range = status.range(of: "digest: ") {
                    digest = status[range.upperBound...].split(separator: " ").first.map(String.init)
                }
            }
        } catch let error as DockerEngine.Error {
            throw error
        } catch {
            throw wrapTransport(error)
        }
        return digest
    }

    /// `X-Registry-Auth` for no credentials: base64url of `{}`.
    static let anonymousRegistryAuth = "e30="

    static func registryAuthHeader(_ registryAuth: String?) -> [(name: String, value: String)] {
        registryAuth.map { [(name: "X-Registry-Auth", value: $0)] } ?? []
    }

    /// Maps to `POST /images/{name}/tag`.
    public func tagImage(_ name: String, as reference: String) async throws(DockerEngine.Error) {
        let parsed = DockerEngine.ImageReference(reference)
        try await post("/images/\(Self.escape(name))/tag", query: [("repo", parsed.repository), ("tag", parsed.tag)])
    }

    /// Maps to `DELETE /images/{name}`.
    @discardableResult
    public func removeImage(_ name: String, force: Bool = false, noPrune: Bool = false) async throws(DockerEngine.Error) -> [DockerEngine.ImageDeleteItem] {
        try await delete(
            "/images/\(Self.escape(name))", query: [("force", force ? "1" : nil), ("noprune", noPrune ? "1" : nil)], as: [DockerEngine.ImageDeleteItem].self)
    }

    /// Maps to `POST /build` with a tar context (see `DockerEngine.TarWriter`): the build's output
    /// stream (`stream` text, `aux.ID` with the image ID). An `errorDetail` record throws `.stream`.
    public func buildImage(
        context: Data, options: DockerEngine.BuildOptions = .init()
    ) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<DockerEngine.ProgressMessage> {
        let response = try await openStream(.post, "/build", query: Self.buildQuery(options), body: context, contentType: "application/x-tar")
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description, check: Self.failOnErrorDetail(options.tags.first ?? "build"))
    }

    /// Maps to `POST /build` with a context read from disk while it is sent (see
    /// `DockerEngine.TarStream`): the memory a build costs does not grow with its context.
    public func buildImage(
        context: DockerEngine.TarStream, options: DockerEngine.BuildOptions = .init()
    ) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<DockerEngine.ProgressMessage> {
        let response = try await openStream(.post, "/build", query: Self.buildQuery(options), bodyStream: context.body, contentType: "application/x-tar")
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description, check: Self.failOnErrorDetail(options.tags.first ?? "build"))
    }

    static func buildQuery(_ options: DockerEngine.BuildOptions) -> Query {
        var query: Query = options.tags.map { ("t", $0) }
        query += [
            ("dockerfile", options.dockerfile),
            ("buildargs", options.buildArgs.isEmpty ? nil : Self.jsonQueryValue(options.buildArgs)),
            ("target", options.target),
            ("labels", options.labels.isEmpty ? nil : Self.jsonQueryValue(options.labels)),
            ("nocache", options.noCache ? "1" : nil),
            ("pull", options.pull ? "1" : nil),
            ("rm", options.remove ? "1" : "0"),
            ("forcerm", options.forceRemove ? "1" : nil),
            ("platform", options.platform),
            ("networkmode", options.networkMode),
        ]
        return query
    }

    /// Builds and waits for the end; returns the image ID and the build's text output.
    public func build(context: Data, options: DockerEngine.BuildOptions = .init()) async throws(DockerEngine.Error) -> (imageID: String?, output: String) {
        var output = ""
        var imageID: String?
        do {
            for try await message in try await buildImage(context: context, options: options) {
                if let text = message.stream { output += text }
                if let id = message.aux?.id { imageID = id }
            }
        } catch let error as DockerEngine.Error {
            throw error
        } catch {
            throw wrapTransport(error)
        }
        if imageID == nil, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("Successfully built ") }) {
            imageID = String(line.dropFirst("Successfully built ".count))
        }
        return (imageID, output)
    }

    /// Pulls and waits for the end; returns the last status line.
    @discardableResult
    public func pull(
        _ reference: String, platform: String? = nil, registryAuth: String? = nil, timeout: Duration? = nil
    ) async throws(DockerEngine.Error) -> String? {
        var last: String?
        do {
            for try await message in try await pullImage(reference, platform: platform, registryAuth: registryAuth, timeout: timeout) {
                if let status = message.status { last = status }
            }
        } catch let error as DockerEngine.Error {
            throw error
        } catch {
            throw wrapTransport(error)
        }
        return last
    }

    static func failOnErrorDetail(_ subject: String) -> @Sendable (DockerEngine.ProgressMessage) throws(DockerEngine.Error) -> Void {
        { message throws(DockerEngine.Error) in
            if let error = message.errorMessage {
                throw .stream(message: "\(subject): \(error)")
            }
        }
    }
}
