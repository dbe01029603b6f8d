import Foundation
import HTTPTransport
import Hummingbird
import JSONDocument
import Logging

/// The request context: Hummingbird's core storage plus who sent the request.
struct StandInRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Identity?

    init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
    }

    var maxUploadSize: Int { 32 << 20 }
}

/// Authenticates every request but `/api/health` (Grafana's health endpoint is public) and turns
/// unmatched routes into Grafana's JSON 404.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = StandInRequestContext
    let state: GrafanaState
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if request.uri.path != "/api/health" {
            switch await state.authenticate(authorization: request.headers[.authorization]) {
            case .failure(let error):
                // As Grafana logs failed and blocked logins (soaks count these lines; no secret).
                logger.warning("login refused", metadata: ["messageId": "\(error.messageId ?? "")", "path": "\(request.uri.path)"])
                return Answer(error).response
            case .success(let identity):
                context.identity = identity
                if let needed = requiredPermission(method: request.method.rawValue, path: request.uri.path, identity: identity) {
                    return Answer(.accessDenied(needed)).response
                }
            }
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Answer.message(404, "Not found").response
        }
    }
}

/// The permission a request needs that `identity` lacks, or nil when it may go on. Grafana's basic
/// roles (docs/sources/administration/roles-and-permissions/access-control/rbac-fixed-basic-role-definitions.md,
/// pkg/api/api.go route authorisation): Viewer reads only; Editor also writes folders and dashboards;
/// only Admin writes datasources (fixed:datasources:writer) and uses the alerting provisioning API
/// for writes (fixed:alerting.provisioning:writer); only a Grafana server admin (the admin user,
/// never a service account) reloads provisioning (provisioning:reload).
func requiredPermission(method: String, path: String, identity: Identity) -> String? {
    if identity.role == "None" { return "any of \(method) \(path)" }
    let isRead = method == "GET" || method == "HEAD"
    if path.hasPrefix("/api/admin/provisioning/") {
        if case .admin = identity { return nil }
        return "provisioning:reload"
    }
    if isRead { return nil }
    if path.hasPrefix("/api/datasources") {
        guard identity.role == "Admin" else {
            return method == "POST" ? "datasources:create" : method == "DELETE" ? "datasources:delete" : "datasources:write"
        }
        return nil
    }
    if path.hasPrefix("/api/v1/provisioning/") {
        return identity.role == "Admin" ? nil : "alert.provisioning:write"
    }
    if path.hasPrefix("/api/folders") {
        return identity.role == "Viewer" ? (method == "POST" ? "folders:create" : method == "DELETE" ? "folders:delete" : "folders:write") : nil
    }
    if path.hasPrefix("/api/dashboards") {
        return identity.role == "Viewer" ? (method == "DELETE" ? "dashboards:delete" : "dashboards:write") : nil
    }
    if path == "/api/user/password" { return nil }
    return identity.role == "Viewer" ? "any of \(method) \(path)" : nil
}

/// Query parameters as Go's `url.ParseQuery` reads them (Grafana's): `+` is a space, then
/// percent-decoding; repeated names are kept in order.
func queryItems(_ query: String?) -> [(name: String, value: String)] {
    guard let query, !query.isEmpty else { return [] }
    return query.split(separator: "&").map { pair in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return (name: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
    }
}

/// `document` with every object's keys in alphabetical order, as Grafana answers dashboards (it
/// re-serialises a Go map); `STANDIN_SORT_DASHBOARD_KEYS`.
func sortingKeys(_ document: JSONDocument) -> JSONDocument {
    if let members = document.members {
        return JSONDocument(object: members.sorted { $0.key < $1.key }.map { ($0.key, sortingKeys($0.value)) })
    }
    if let elements = document.elements { return JSONDocument(array: elements.map(sortingKeys)) }
    return document
}

/// Runs one domain operation and answers its payload with `status`, or its refusal as Grafana does.
func respond(_ status: Int = 200, _ work: () async throws -> JSONValue) async -> Response {
    do {
        let value = try await work()
        return (status == 204 ? Answer.empty(204) : Answer.json(status, value)).response
    } catch let error as GrafanaAPIError {
        return Answer(error).response
    } catch {
        return Answer.message(500, "Internal Server Error").response
    }
}

/// Builds the router with every endpoint the stand-in implements: each route reads its request,
/// asks `state` (the domain) and maps the answer; no Grafana rule lives here except authorisation.
func makeRouter(state: GrafanaState, prober: DatasourceProber, logger: Logger) -> Router<StandInRequestContext> {
    let router = Router(context: StandInRequestContext.self)
    router.add(middleware: AuthMiddleware(state: state, logger: logger))

    @Sendable func body(_ request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: 32 << 20)
        return Data(buffer.readableBytesView)
    }
    @Sendable func jsonBody(_ request: Request) async throws -> JSONValue? { decodeJSON(try await body(request)) }
    @Sendable func parameter(_ context: StandInRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
    @Sendable func provenance(_ request: Request) -> String {
        request.headers.contains { $0.name.canonicalName == "x-disable-provenance" } ? "" : "api"
    }
    @Sendable func requireAdmin(_ context: StandInRequestContext) -> Response? {
        context.identity?.role == "Admin" ? nil : Answer(.accessDenied("serviceaccounts:write")).response
    }

    // Health and identity.
    router.get("/api/health") { _, _ in
        Answer.json(
            200,
            .object([
                "commit": .string("standin"), "database": .string("ok"), "version": .string(StandInConfiguration.version),
                "implementation": .string(StandInConfiguration.implementation),
            ])
        ).response
    }
    // Grafana answers HEAD too (wget --spider healthchecks may send it): same status, no body.
    router.head("/api/health") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers)
    }
    // What the frontend (and third-party clients such as grafana-client) read to learn the version.
    router.get("/api/frontend/settings") { _, _ in
        Answer.json(
            200,
            .object([
                "appSubUrl": .string(""), "appUrl": .string("http://localhost:3000/"), "defaultDatasource": .string(""),
                "buildInfo": .object([
                    "buildstamp": .int(0), "commit": .string("standin"), "edition": .string("Open Source"),
                    "env": .string("production"), "hideVersion": .bool(false), "latestVersion": .string(""),
                    "version": .string(StandInConfiguration.version),
                    "versionString": .string("grafana-standin v\(StandInConfiguration.version) (not Grafana)"),
                ]),
            ])
        ).response
    }

    // Provisioning reloads (pkg/api/admin_provisioning.go): 200 "<kind> config reloaded", 500 with
    // Grafana's generic body when the files are refused.
    for (kind, label) in [("alerting", "Alerting"), ("datasources", "Datasources"), ("dashboards", "Dashboards")] {
        router.post("/api/admin/provisioning/\(kind)/reload") { _, _ in
            guard let source = await state.provisioningSource else { return Answer.message(200, "\(label) config reloaded").response }
            let provisioner = Provisioner(root: source.root, environment: source.environment, state: state, logger: logger)
            do {
                try await provisioner.reload(kind)
            } catch {
                logger.error("provisioning reload failed: \(error)")
                return Answer.message(500, "Internal Server Error").response
            }
            return Answer.message(200, "\(label) config reloaded").response
        }
    }

    router.get("/api/user") { _, context in
        await respond { await state.read { $0.user(context.identity!) } }
    }
    router.put("/api/user/password") { request, context in
        let json = try await jsonBody(request)
        return await respond { try await state.write { try $0.changePassword(context.identity!, body: json) } }
    }

    // Service accounts.
    router.post("/api/serviceaccounts") { request, context in
        if let denied = requireAdmin(context) { return denied }
        let json = try await jsonBody(request)
        return await respond(201) { try await state.write { try $0.createServiceAccount(body: json) } }
    }
    router.get("/api/serviceaccounts/search") { _, context in
        if let denied = requireAdmin(context) { return denied }
        return await respond { await state.read { $0.searchServiceAccounts() } }
    }
    router.get("/api/serviceaccounts/:id") { _, context in
        if let denied = requireAdmin(context) { return denied }
        guard let id = Int(parameter(context, "id")) else { return Answer.message(400, "Service Account ID is invalid").response }
        return await respond { try await state.read { try $0.serviceAccount(id: id) } }
    }
    router.post("/api/serviceaccounts/:id/tokens") { request, context in
        if let denied = requireAdmin(context) { return denied }
        guard let id = Int(parameter(context, "id")) else { return Answer.message(400, "Service Account ID is invalid").response }
        let json = try await jsonBody(request)
        return await respond { try await state.write { try $0.createToken(serviceAccountID: id, body: json) } }
    }

    // Datasources.
    router.get("/api/datasources") { _, _ in
        await respond { await state.read { $0.listDatasources() } }
    }
    router.post("/api/datasources") { request, _ in
        let json = try await jsonBody(request)
        return await respond { try await state.write { try $0.addDatasource(body: json) } }
    }
    router.get("/api/datasources/uid/:uid") { _, context in
        let uid = parameter(context, "uid")
        return await respond { try await state.read { try $0.datasourceAnswer(uid: uid) } }
    }
    router.put("/api/datasources/uid/:uid") { request, context in
        let uid = parameter(context, "uid"), json = try await jsonBody(request)
        return await respond { try await state.write { try $0.updateDatasource(uid: uid, body: json) } }
    }
    router.delete("/api/datasources/uid/:uid") { _, context in
        let uid = parameter(context, "uid")
        return await respond { try await state.write { try $0.deleteDatasource(uid: uid) } }
    }
    router.get("/api/datasources/name/:name") { _, context in
        let name = parameter(context, "name")
        return await respond { try await state.read { try $0.datasourceAnswer(name: name) } }
    }
    router.delete("/api/datasources/name/:name") { _, context in
        let name = parameter(context, "name")
        return await respond { try await state.write { try $0.deleteDatasource(name: name) } }
    }
    router.get("/api/datasources/uid/:uid/health") { _, context in
        let uid = parameter(context, "uid")
        guard let datasource = try? await state.read({ store throws(GrafanaAPIError) in store.datasource(uid: uid) }) else {
            return Answer.message(404, "Data source not found").response
        }
        return await prober.check(datasource).response
    }

    // Folders.
    router.get("/api/folders") { request, _ in
        let parameters = request.uri.queryParameters
        let limit = parameters.get("limit").flatMap { Int($0) } ?? 1000
        let page = parameters.get("page").flatMap { Int($0) } ?? 1
        return await respond { await state.read { $0.listFolders(limit: limit, page: page) } }
    }
    router.post("/api/folders") { request, _ in
        let json = try await jsonBody(request)
        return await respond { try await state.write { try $0.createFolder(body: json) } }
    }
    router.get("/api/folders/:uid") { _, context in
        let uid = parameter(context, "uid")
        return await respond { try await state.read { try $0.folderAnswer(uid: uid) } }
    }
    router.put("/api/folders/:uid") { request, context in
        let uid = parameter(context, "uid"), json = try await jsonBody(request)
        return await respond { try await state.write { try $0.updateFolder(uid: uid, body: json) } }
    }
    router.delete("/api/folders/:uid") { request, context in
        let uid = parameter(context, "uid"), force = request.uri.queryParameters.get("forceDeleteRules") == "true"
        return await respond { try await state.write { try $0.deleteFolder(uid: uid, forceDeleteRules: force) } }
    }

    // Dashboards and search. Dashboards keep their key order (JSONDocument), so their answers are
    // put together here rather than through `respond`.
    router.post("/api/dashboards/db") { request, _ in
        guard let envelope = try? JSONDocument(parsing: try await body(request)) else { return Answer(.badRequestData).response }
        return await respond { try await state.write { try $0.saveDashboard(envelope: envelope) } }
    }
    router.get("/api/dashboards/uid/:uid") { _, context in
        let uid = parameter(context, "uid")
        do {
            let (model, meta) = try await state.read { store throws(GrafanaAPIError) in try store.dashboardAnswer(uid: uid) }
            let sort = state.sortDashboardKeys
            var answer = JSONDocument(object: [
                ("dashboard", model),
                ("meta", (try? JSONDocument(parsing: encodeJSON(meta))) ?? .emptyObject),
            ])
            if sort { _ = try? answer.set(sortingKeys(model), at: ["dashboard"]) }
            return Answer(status: 200, body: answer.serializedData(indent: nil)).response
        } catch let error as GrafanaAPIError {
            return Answer(error).response
        } catch {
            return Answer.message(500, "Internal Server Error").response
        }
    }
    router.delete("/api/dashboards/uid/:uid") { _, context in
        let uid = parameter(context, "uid")
        return await respond { try await state.write { try $0.deleteDashboard(uid: uid) } }
    }
    router.get("/api/search") { request, _ in
        let items = queryItems(request.uri.query)
        func all(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }
        func list(_ name: String) -> [String] { all(name).flatMap { $0.split(separator: ",").map(String.init) } }
        var query = GrafanaStore.SearchQuery()
        query.query = all("query").first
        query.type = all("type").first
        query.folderUIDs = list("folderUIDs")
        query.dashboardUIDs = list("dashboardUIDs")
        query.tags = all("tag")
        query.limit = all("limit").first.flatMap { Int($0) }
        return await respond { await state.read { [query] store in store.search(query) } }
    }

    // Alerting provisioning.
    router.get("/api/v1/provisioning/alert-rules") { _, _ in
        await respond { await state.read { $0.listRules() } }
    }
    router.post("/api/v1/provisioning/alert-rules") { request, _ in
        let json = try await jsonBody(request), provenance = provenance(request)
        return await respond(201) { try await state.write { try $0.createRule(body: json, provenance: provenance) } }
    }
    router.get("/api/v1/provisioning/alert-rules/:uid") { _, context in
        let uid = parameter(context, "uid")
        return await respond { try await state.read { try $0.ruleAnswer(uid: uid) } }
    }
    router.put("/api/v1/provisioning/alert-rules/:uid") { request, context in
        let uid = parameter(context, "uid"), json = try await jsonBody(request), provenance = provenance(request)
        return await respond {
            try await state.write { try $0.updateRule(uid: uid, body: json, provenance: provenance) }
        }
    }
    router.delete("/api/v1/provisioning/alert-rules/:uid") { request, context in
        let uid = parameter(context, "uid"), provenance = provenance(request)
        return await respond(204) { try await state.write { try $0.deleteRule(uid: uid, provenance: provenance) } }
    }
    router.get("/api/v1/provisioning/folder/:folderUid/rule-groups/:group") { _, context in
        let folder = parameter(context, "folderUid"), group = parameter(context, "group")
        return await respond { try await state.read { try $0.ruleGroupAnswer(folderUID: folder, group: group) } }
    }
    router.put("/api/v1/provisioning/folder/:folderUid/rule-groups/:group") { request, context in
        let folder = parameter(context, "folderUid"), group = parameter(context, "group")
        let json = try await jsonBody(request), provenance = provenance(request)
        return await respond {
            try await state.write { try $0.replaceRuleGroup(folderUID: folder, group: group, body: json, provenance: provenance) }
        }
    }
    router.get("/api/v1/provisioning/contact-points") { _, _ in
        await respond { await state.read { $0.contactPoints() } }
    }

    return router
}
