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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if request.uri.path != "/api/health" {
            switch await state.authenticate(authorization: request.headers[.authorization]) {
            case .failure(let error): return error.answer.response
            case .success(let identity):
                context.identity = identity
                if let needed = requiredPermission(method: request.method.rawValue, path: request.uri.path, identity: identity) {
                    return Answer.accessDenied(needed).response
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

extension Answer {
    /// Grafana's 403 for a missing RBAC permission (pkg/api/accesscontrol.go, accessForbidden).
    static func accessDenied(_ permission: String) -> Answer {
        .json(403, .object([
            "accessErrorId": .string("ACE0000000000"),
            "message": .string("You'll need additional permissions to perform this action. Permissions needed: \(permission)"),
            "title": .string("Access denied"),
        ]))
    }

    var response: Response {
        var headers = HTTPFields()
        if !body.isEmpty { headers[.contentType] = "application/json" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
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

/// Builds the router with every endpoint the stand-in implements.
func makeRouter(state: GrafanaState, prober: DatasourceProber, logger: Logger) -> Router<StandInRequestContext> {
    let router = Router(context: StandInRequestContext.self)
    router.add(middleware: AuthMiddleware(state: state))

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
        context.identity?.role == "Admin" ? nil : Answer.message(403, "You'll need additional permissions to perform this action. Permissions needed: serviceaccounts:write").response
    }

    // Health and identity.
    router.get("/api/health") { _, _ in
        Answer.json(200, .object([
            "commit": .string("standin"), "database": .string("ok"), "version": .string(StandInConfiguration.version),
            "implementation": .string(StandInConfiguration.implementation),
        ])).response
    }
    // Grafana answers HEAD too (wget --spider healthchecks may send it): same status, no body.
    router.head("/api/health") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers)
    }
    // What the frontend (and third-party clients such as grafana-client) read to learn the version.
    router.get("/api/frontend/settings") { _, _ in
        Answer.json(200, .object([
            "appSubUrl": .string(""), "appUrl": .string("http://localhost:3000/"), "defaultDatasource": .string(""),
            "buildInfo": .object([
                "buildstamp": .int(0), "commit": .string("standin"), "edition": .string("Open Source"),
                "env": .string("production"), "hideVersion": .bool(false), "latestVersion": .string(""),
                "version": .string(StandInConfiguration.version), "versionString": .string("grafana-standin v\(StandInConfiguration.version) (not Grafana)"),
            ]),
        ])).response
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
        await state.user(context.identity!).response
    }
    router.put("/api/user/password") { request, context in
        await state.changePassword(context.identity!, body: try await jsonBody(request)).response
    }

    // Service accounts.
    router.post("/api/serviceaccounts") { request, context in
        if let denied = requireAdmin(context) { return denied }
        return await state.createServiceAccount(body: try await jsonBody(request)).response
    }
    router.get("/api/serviceaccounts/search") { _, context in
        if let denied = requireAdmin(context) { return denied }
        return await state.searchServiceAccounts().response
    }
    router.get("/api/serviceaccounts/:id") { _, context in
        if let denied = requireAdmin(context) { return denied }
        guard let id = Int(parameter(context, "id")) else { return Answer.message(400, "Service Account ID is invalid").response }
        return await state.serviceAccount(id: id).response
    }
    router.post("/api/serviceaccounts/:id/tokens") { request, context in
        if let denied = requireAdmin(context) { return denied }
        guard let id = Int(parameter(context, "id")) else { return Answer.message(400, "Service Account ID is invalid").response }
        return await state.createToken(serviceAccountID: id, body: try await jsonBody(request)).response
    }

    // Datasources.
    router.get("/api/datasources") { _, _ in await state.listDatasources().response }
    router.post("/api/datasources") { request, _ in
        await state.addDatasource(body: try await jsonBody(request)).response
    }
    router.get("/api/datasources/uid/:uid") { _, context in
        await state.datasourceAnswer(uid: parameter(context, "uid")).response
    }
    router.put("/api/datasources/uid/:uid") { request, context in
        await state.updateDatasource(uid: parameter(context, "uid"), body: try await jsonBody(request)).response
    }
    router.delete("/api/datasources/uid/:uid") { _, context in
        await state.deleteDatasource(uid: parameter(context, "uid")).response
    }
    router.get("/api/datasources/name/:name") { _, context in
        await state.datasourceAnswer(name: parameter(context, "name")).response
    }
    router.delete("/api/datasources/name/:name") { _, context in
        await state.deleteDatasource(name: parameter(context, "name")).response
    }
    router.get("/api/datasources/uid/:uid/health") { _, context in
        guard let datasource = await state.datasource(uid: parameter(context, "uid")) else {
            return Answer.message(404, "Data source not found").response
        }
        return await prober.check(datasource).response
    }

    // Folders.
    router.get("/api/folders") { request, _ in
        let parameters = request.uri.queryParameters
        let limit = parameters.get("limit").flatMap { Int($0) } ?? 1000
        let page = parameters.get("page").flatMap { Int($0) } ?? 1
        return await state.listFolders(limit: limit, page: page).response
    }
    router.post("/api/folders") { request, _ in await state.createFolder(body: try await jsonBody(request)).response }
    router.get("/api/folders/:uid") { _, context in await state.folderAnswer(uid: parameter(context, "uid")).response }
    router.put("/api/folders/:uid") { request, context in
        await state.updateFolder(uid: parameter(context, "uid"), body: try await jsonBody(request)).response
    }
    router.delete("/api/folders/:uid") { request, context in
        let force = request.uri.queryParameters.get("forceDeleteRules") == "true"
        return await state.deleteFolder(uid: parameter(context, "uid"), forceDeleteRules: force).response
    }

    // Dashboards and search.
    router.post("/api/dashboards/db") { request, _ in await state.saveDashboard(body: try await body(request)).response }
    router.get("/api/dashboards/uid/:uid") { _, context in await state.dashboardAnswer(uid: parameter(context, "uid")).response }
    router.delete("/api/dashboards/uid/:uid") { _, context in await state.deleteDashboard(uid: parameter(context, "uid")).response }
    router.get("/api/search") { request, _ in
        let items = queryItems(request.uri.query)
        func all(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }
        func list(_ name: String) -> [String] { all(name).flatMap { $0.split(separator: ",").map(String.init) } }
        var query = GrafanaState.SearchQuery()
        query.query = all("query").first
        query.type = all("type").first
        query.folderUIDs = list("folderUIDs")
        query.dashboardUIDs = list("dashboardUIDs")
        query.tags = all("tag")
        query.limit = all("limit").first.flatMap { Int($0) }
        return await state.search(query).response
    }

    // Alerting provisioning.
    router.get("/api/v1/provisioning/alert-rules") { _, _ in await state.listRules().response }
    router.post("/api/v1/provisioning/alert-rules") { request, _ in
        await state.createRule(body: try await jsonBody(request), provenance: provenance(request)).response
    }
    router.get("/api/v1/provisioning/alert-rules/:uid") { _, context in
        await state.ruleAnswer(uid: parameter(context, "uid")).response
    }
    router.put("/api/v1/provisioning/alert-rules/:uid") { request, context in
        await state.updateRule(uid: parameter(context, "uid"), body: try await jsonBody(request), provenance: provenance(request)).response
    }
    router.delete("/api/v1/provisioning/alert-rules/:uid") { request, context in
        await state.deleteRule(uid: parameter(context, "uid"), provenance: provenance(request)).response
    }
    router.get("/api/v1/provisioning/folder/:folderUid/rule-groups/:group") { _, context in
        await state.ruleGroupAnswer(folderUID: parameter(context, "folderUid"), group: parameter(context, "group")).response
    }
    router.put("/api/v1/provisioning/folder/:folderUid/rule-groups/:group") { request, context in
        await state.replaceRuleGroup(
            folderUID: parameter(context, "folderUid"), group: parameter(context, "group"),
            body: try await jsonBody(request), provenance: provenance(request)).response
    }
    router.get("/api/v1/provisioning/contact-points") { _, _ in await state.contactPoints().response }

    return router
}
