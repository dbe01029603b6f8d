import Durations
import Foundation
import JSONDocument

/// Who sent a request.
enum Identity: Sendable, Equatable {
    case admin(login: String)
    case serviceAccount(id: Int, login: String, role: String)

    var role: String {
        switch self {
        case .admin: "Admin"
        case .serviceAccount(_, _, let role): role
        }
    }
}

/// Everything the stand-in holds, as Grafana's database holds it: pure data with the domain rules
/// of Grafana 11 as mutating methods that answer a JSON payload or throw a `GrafanaAPIError`
/// (Grafana's status, message and messageId). No HTTP, no I/O, no clock of its own (`now` is
/// passed in where a rule depends on time): `GrafanaState` serialises access to it and keeps it in
/// the data directory; the router maps its payloads and errors to responses.
struct GrafanaStore: Sendable, Codable {
    var adminLogin: String
    var adminPassword: String
    var nextID = 1
    var datasources: [Datasource] = []
    var folders: [Folder] = []
    var dashboards: [Dashboard] = []
    var rules: [AlertRule] = []
    var groupIntervals: [RuleGroupKey: Int] = [:]
    var serviceAccounts: [ServiceAccount] = []
    /// Failed password logins per user name, for Grafana's brute-force protection.
    var failedLogins: [String: [Date]] = [:]

    init(adminLogin: String, adminPassword: String) {
        self.adminLogin = adminLogin
        self.adminPassword = adminPassword
    }

    private mutating func allocateID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: - Authentication

    /// Basic auth (admin, or `api_key:<token>`) or a Bearer service-account token (`staticToken`
    /// is the configuration's Admin token); throws what Grafana 11 answers when neither works.
    mutating func authenticate(authorization: String?, staticToken: String?, now: Date) throws(GrafanaAPIError) -> Identity {
        guard let authorization, !authorization.isEmpty else { throw .unauthorized("Unauthorized", id: "auth.unauthorized") }
        let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw .unauthorized("Unauthorized", id: "auth.unauthorized") }
        switch parts[0].lowercased() {
        case "basic":
            guard let decoded = Data(base64Encoded: parts[1]).flatMap({ String(data: $0, encoding: .utf8) }),
                let colon = decoded.firstIndex(of: ":")
            else {
                throw .unauthorized("Invalid Basic Auth Header", id: "auth.unauthorized")
            }
            let user = String(decoded[..<colon]), password = String(decoded[decoded.index(after: colon)...])
            if user == "api_key" { return try token(password, staticToken: staticToken, now: now) }
            return try login(user: user, password: password, now: now)
        case "bearer":
            return try token(parts[1], staticToken: staticToken, now: now)
        default:
            throw .unauthorized("Unauthorized", id: "auth.unauthorized")
        }
    }

    /// Grafana's brute-force protection (pkg/services/loginattempt/loginattemptimpl: 5 failed attempts
    /// for a user name within 5 minutes block it; pkg/services/authn/clients/password.go: a blocked
    /// user gets 401 "Invalid username or password" even with the right password, and that blocked
    /// attempt is not counted again; a success does not reset the count).
    static let maxInvalidLoginAttempts = 5
    static let loginAttemptWindow: TimeInterval = 5 * 60

    private mutating func login(user: String, password: String, now: Date) throws(GrafanaAPIError) -> Identity {
        let recent = (failedLogins[user] ?? []).filter { now.timeIntervalSince($0) < Self.loginAttemptWindow }
        failedLogins[user] = recent.isEmpty ? nil : recent
        if recent.count >= Self.maxInvalidLoginAttempts {
            throw .unauthorized("Invalid username or password", id: "login-attempt.blocked")
        }
        if user == adminLogin && password == adminPassword { return .admin(login: adminLogin) }
        failedLogins[user, default: []].append(now)
        throw .unauthorized("Invalid username or password", id: "password-auth.failed")
    }

    /// Failed logins of `user` that still count (tests and the README's lockout rule).
    func failedLoginCount(user: String, now: Date) -> Int {
        (failedLogins[user] ?? []).filter { now.timeIntervalSince($0) < Self.loginAttemptWindow }.count
    }

    private func token(_ key: String, staticToken: String?, now: Date) throws(GrafanaAPIError) -> Identity {
        if let staticToken, key == staticToken {
            return .serviceAccount(id: 0, login: "sa-standin-token", role: "Admin")
        }
        for account in serviceAccounts where !account.isDisabled {
            if let token = account.tokens.first(where: { $0.key == key }) {
                if let expires = token.expires, expires < now { throw .unauthorized("Expired API key", id: "api-key.expired") }
                return .serviceAccount(id: account.id, login: account.login, role: account.role)
            }
        }
        throw .unauthorized("Invalid API key", id: "api-key.invalid")
    }

    func user(_ identity: Identity) -> JSONValue {
        switch identity {
        case .admin(let login):
            return
                (.object([
                    "id": .int(1), "uid": .string("admin"), "email": .string("admin@localhost"), "name": .string(""),
                    "login": .string(login), "theme": .string(""), "orgId": .int(1), "isGrafanaAdmin": .bool(true),
                    "isDisabled": .bool(false), "isExternal": .bool(false), "authLabels": .array([]),
                    "avatarUrl": .string(""), "isGrafanaAdminExternallySynced": .bool(false),
                ]))
        case .serviceAccount(let id, let login, _):
            return
                (.object([
                    "id": .int(id), "login": .string(login), "email": .string(login), "name": .string(login),
                    "orgId": .int(1), "isGrafanaAdmin": .bool(false), "isDisabled": .bool(false),
                    "isExternal": .bool(false), "authLabels": .array([]), "avatarUrl": .string(""),
                ]))
        }
    }

    /// `PUT /api/user/password`.
    mutating func changePassword(_ identity: Identity, body: JSONValue?) throws(GrafanaAPIError) -> JSONValue {
        guard case .admin = identity else {
            throw .message(403, "Cannot change the password of a service account")
        }
        guard let old = body?["oldPassword"]?.stringValue, let new = body?["newPassword"]?.stringValue else {
            throw .badRequestData
        }
        guard old == adminPassword else { throw .message(401, "Invalid old password") }
        guard new.count >= 4 else { throw .message(400, "New password is too short") }
        adminPassword = new
        return .object(["message": .string("User password changed")])
    }

    // MARK: - Service accounts

    mutating func createServiceAccount(body: JSONValue?) throws(GrafanaAPIError) -> JSONValue {
        guard let name = body?["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .message(400, "Required service account name")
        }
        let role = body?["role"]?.stringValue ?? "Viewer"
        guard ["Viewer", "Editor", "Admin", "None"].contains(role) else { throw .message(400, "invalid role value: \(role)") }
        guard !serviceAccounts.contains(where: { $0.name == name }) else {
            throw .message(400, "service account already exists")
        }
        let account = ServiceAccount(
            id: allocateID(), name: name, login: "sa-\(slugify(name))", role: role,
            isDisabled: body?["isDisabled"]?.boolValue ?? false, tokens: [])
        serviceAccounts.append(account)
        return (serviceAccountJSON(account))
    }

    private func serviceAccountJSON(_ account: ServiceAccount) -> JSONValue {
        .object([
            "id": .int(account.id), "name": .string(account.name), "login": .string(account.login),
            "orgId": .int(1), "isDisabled": .bool(account.isDisabled), "role": .string(account.role),
            "tokens": .int(account.tokens.count), "avatarUrl": .string(""),
        ])
    }

    func serviceAccount(id: Int) throws(GrafanaAPIError) -> JSONValue {
        guard let account = serviceAccounts.first(where: { $0.id == id }) else {
            throw .message(404, "service account not found")
        }
        return (serviceAccountJSON(account))
    }

    func searchServiceAccounts() -> JSONValue {
        (.object([
            "totalCount": .int(serviceAccounts.count), "page": .int(1), "perPage": .int(1000),
            "serviceAccounts": .array(serviceAccounts.map(serviceAccountJSON)),
        ]))
    }

    mutating func createToken(serviceAccountID: Int, body: JSONValue?) throws(GrafanaAPIError) -> JSONValue {
        guard let index = serviceAccounts.firstIndex(where: { $0.id == serviceAccountID }) else {
            throw .message(404, "service account not found")
        }
        guard let name = body?["name"]?.stringValue, !name.isEmpty else { throw .message(400, "Required token name") }
        guard !serviceAccounts[index].tokens.contains(where: { $0.name == name }) else {
            throw .message(409, "service account token with given name already exists in the organization")
        }
        let seconds = body?["secondsToLive"]?.intValue ?? 0
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let secret = String((0..<32).map { _ in alphabet.randomElement()! })
        let checksum = String(format: "%08x", UInt32(truncatingIfNeeded: secret.hashValue))
        let token = ServiceAccountToken(
            id: allocateID(), name: name, key: "glsa_\(secret)_\(checksum)",
            expires: seconds > 0 ? Date().addingTimeInterval(TimeInterval(seconds)) : nil)
        serviceAccounts[index].tokens.append(token)
        return (.object(["id": .int(token.id), "name": .string(name), "key": .string(token.key)]))
    }

    // MARK: - Datasources

    func listDatasources() -> JSONValue {
        (.array(datasources.sorted { $0.name.lowercased() < $1.name.lowercased() }.map(\.listItem)))
    }

    func datasource(uid: String) -> Datasource? { datasources.first { $0.uid == uid } }

    func datasourceAnswer(uid: String) throws(GrafanaAPIError) -> JSONValue {
        guard let datasource = datasource(uid: uid) else { throw .message(404, "Data source not found") }
        return (datasource.full)
    }

    func datasourceAnswer(name: String) throws(GrafanaAPIError) -> JSONValue {
        guard let datasource = datasources.first(where: { $0.name == name }) else { throw .message(404, "Data source not found") }
        return (datasource.full)
    }

    /// Copies the fields Grafana's add/update commands carry.
    private func apply(_ body: [String: JSONValue], to datasource: inout Datasource) {
        if let value = body["name"]?.stringValue { datasource.name = value }
        if let value = body["type"]?.stringValue { datasource.type = value }
        if let value = body["access"]?.stringValue, !value.isEmpty { datasource.access = value }
        if let value = body["url"]?.stringValue { datasource.url = value }
        if let value = body["user"]?.stringValue { datasource.user = value }
        if let value = body["database"]?.stringValue { datasource.database = value }
        if let value = body["basicAuth"]?.boolValue { datasource.basicAuth = value }
        if let value = body["basicAuthUser"]?.stringValue { datasource.basicAuthUser = value }
        if let value = body["withCredentials"]?.boolValue { datasource.withCredentials = value }
        if let value = body["isDefault"]?.boolValue { datasource.isDefault = value }
        if let value = body["jsonData"]?.objectValue { datasource.jsonData = value }
        if let value = body["secureJsonData"]?.objectValue {
            for (key, secret) in value { if let secret = secret.stringValue { datasource.secureJsonData[key] = secret } }
        }
        // Grafana 11 moves the legacy plain-text fields into secureJsonData.
        if let value = body["password"]?.stringValue, !value.isEmpty { datasource.secureJsonData["password"] = value }
        if let value = body["basicAuthPassword"]?.stringValue, !value.isEmpty { datasource.secureJsonData["basicAuthPassword"] = value }
    }

    private mutating func makeOnlyDefault(_ uid: String) {
        for index in datasources.indices where datasources[index].uid != uid { datasources[index].isDefault = false }
    }

    /// `POST /api/datasources`.
    mutating func addDatasource(body: JSONValue?, readOnly: Bool = false) throws(GrafanaAPIError) -> JSONValue {
        guard let fields = body?.objectValue,
            let name = fields["name"]?.stringValue, !name.isEmpty,
            let type = fields["type"]?.stringValue, !type.isEmpty
        else {
            throw .badRequestData
        }
        let uid = fields["uid"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? generateUID()
        if uidProblem(uid) != nil { throw .message(400, "Failed to add datasource: invalid data source uid") }
        if datasources.contains(where: { $0.name == name }) { throw .message(409, "data source with the same name already exists") }
        if datasources.contains(where: { $0.uid == uid }) { throw .message(409, "data source with the same uid already exists") }
        var datasource = Datasource(id: allocateID(), uid: uid, name: name, type: type, readOnly: readOnly)
        apply(fields, to: &datasource)
        // The first datasource of an org becomes the default, as in Grafana.
        if datasources.isEmpty { datasource.isDefault = true }
        datasources.append(datasource)
        if datasource.isDefault { makeOnlyDefault(uid) }
        return
            (.object([
                "datasource": datasource.full, "id": .int(datasource.id),
                "message": .string("Datasource added"), "name": .string(name),
            ]))
    }

    /// `PUT /api/datasources/uid/:uid`.
    mutating func updateDatasource(uid: String, body: JSONValue?, fromProvisioning: Bool = false) throws(GrafanaAPIError) -> JSONValue {
        guard let index = datasources.firstIndex(where: { $0.uid == uid }) else { throw .message(404, "Data source not found") }
        guard let fields = body?.objectValue,
            let name = fields["name"]?.stringValue, !name.isEmpty
        else { throw .badRequestData }
        if datasources[index].readOnly && !fromProvisioning { throw .message(403, "Cannot update read-only data source") }
        if datasources.contains(where: { $0.name == name && $0.uid != uid }) {
            throw .message(409, "data source with the same name already exists")
        }
        if let version = fields["version"]?.intValue, version != 0, version < datasources[index].version {
            throw .message(409, "Datasource has already been updated by someone else. Please reload and try again")
        }
        var datasource = datasources[index]
        // data_source.md: the body may carry a new uid.
        if let newUID = fields["uid"]?.stringValue, !newUID.isEmpty, newUID != uid {
            if uidProblem(newUID) != nil { throw .message(400, "Failed to update datasource: invalid data source uid") }
            if datasources.contains(where: { $0.uid == newUID }) { throw .message(409, "data source with the same uid already exists") }
            datasource.uid = newUID
        }
        datasource.jsonData = [:]
        apply(fields, to: &datasource)
        datasource.version += 1
        datasources[index] = datasource
        if datasource.isDefault { makeOnlyDefault(datasource.uid) }
        return
            (.object([
                "datasource": datasource.full, "id": .int(datasource.id),
                "message": .string("Datasource updated"), "name": .string(name),
            ]))
    }

    /// `DELETE /api/datasources/uid/:uid`.
    mutating func deleteDatasource(uid: String, fromProvisioning: Bool = false) throws(GrafanaAPIError) -> JSONValue {
        guard let index = datasources.firstIndex(where: { $0.uid == uid }) else { throw .message(404, "Data source not found") }
        if datasources[index].readOnly && !fromProvisioning { throw .message(403, "Cannot delete read-only data source") }
        let removed = datasources.remove(at: index)
        return (.object(["message": .string("Data source deleted"), "id": .int(removed.id)]))
    }

    /// `DELETE /api/datasources/name/:name`.
    mutating func deleteDatasource(name: String) throws(GrafanaAPIError) -> JSONValue {
        guard let datasource = datasources.first(where: { $0.name == name }) else { throw .message(404, "Data source not found") }
        return try deleteDatasource(uid: datasource.uid)
    }

    /// Provisioning: delete by name (deleteDatasources).
    mutating func deleteProvisionedDatasource(name: String) {
        datasources.removeAll { $0.name == name }
    }

    /// Provisioning: insert or update by name, as Grafana's datasource provisioner does.
    mutating func provisionDatasource(_ fields: [String: JSONValue], editable: Bool) throws(GrafanaAPIError) -> JSONValue {
        let name = fields["name"]?.stringValue ?? ""
        if let existing = datasources.first(where: { $0.name == name }) {
            var patched = fields
            if patched["uid"] == nil { patched["uid"] = .string(existing.uid) }
            let answer = try updateDatasource(uid: existing.uid, body: .object(patched), fromProvisioning: true)
            if let index = datasources.firstIndex(where: { $0.name == name }) { datasources[index].readOnly = !editable }
            return answer
        }
        var patched = fields
        if (patched["uid"]?.stringValue ?? "").isEmpty { patched["uid"] = .string(provisionedDatasourceUID(name: name)) }
        let hadNoDatasource = datasources.isEmpty
        let answer = try addDatasource(body: .object(patched), readOnly: !editable)
        // Provisioning sets isDefault exactly as written, not "first one becomes default".
        if hadNoDatasource, let index = datasources.firstIndex(where: { $0.name == name }) {
            datasources[index].isDefault = fields["isDefault"]?.boolValue ?? false
        }
        return answer
    }

    // MARK: - Folders

    /// `GET /api/folders?limit=&page=` (Grafana's default limit is 1000).
    func listFolders(limit: Int = 1000, page: Int = 1) -> JSONValue {
        let sorted = folders.sorted { $0.title.lowercased() < $1.title.lowercased() }
        // limit and page come from the query string: no product or sum of them may overflow (a trap).
        let limit = max(1, limit)
        let skipped = (max(1, page) - 1).multipliedReportingOverflow(by: limit)
        let start = skipped.overflow ? Int.max : skipped.partialValue
        let slice = start < sorted.count ? Array(sorted[start..<(start + min(limit, sorted.count - start))]) : []
        return
            (.array(
                slice.map {
                    .object(["id": .int($0.id), "uid": .string($0.uid), "title": .string($0.title)])
                }))
    }

    func folder(uid: String) -> Folder? { folders.first { $0.uid == uid } }
    func folder(title: String) -> Folder? { folders.first { $0.title == title } }

    func folderAnswer(uid: String) throws(GrafanaAPIError) -> JSONValue {
        guard let folder = folder(uid: uid) else { throw Self.folderNotFound }
        return (folder.dto)
    }

    static let folderNotFound = GrafanaAPIError.status(404, "not-found", "folder not found")

    /// `POST /api/folders`.
    mutating func createFolder(body: JSONValue?) throws(GrafanaAPIError) -> JSONValue {
        guard let fields = body?.objectValue else { throw .badRequestData }
        let title = (fields["title"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty else { throw .message(400, "folder title cannot be empty") }
        let uid = fields["uid"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? generateUID()
        if let problem = uidProblem(uid) { throw .message(400, problem) }
        if folders.contains(where: { $0.uid == uid }) || dashboards.contains(where: { $0.uid == uid }) {
            throw .message(409, "a folder/dashboard with the same uid already exists")
        }
        if folders.contains(where: { $0.title == title }) {
            throw .message(409, "a folder with the same name already exists in the current location")
        }
        let now = Date()
        let folder = Folder(id: allocateID(), uid: uid, title: title, version: 1, created: now, updated: now)
        folders.append(folder)
        return (folder.dto)
    }

    /// `PUT /api/folders/:uid`: `version` must match unless `overwrite` is true.
    mutating func updateFolder(uid: String, body: JSONValue?) throws(GrafanaAPIError) -> JSONValue {
        guard let index = folders.firstIndex(where: { $0.uid == uid }) else { throw Self.folderNotFound }
        guard let fields = body?.objectValue else { throw .badRequestData }
        let overwrite = fields["overwrite"]?.boolValue ?? false
        if !overwrite, (fields["version"]?.intValue ?? 0) != folders[index].version {
            throw .status(412, "version-mismatch", "the folder has been changed by someone else")
        }
        if let title = fields["title"]?.stringValue {
            let trimmed = title.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw .message(400, "folder title cannot be empty") }
            if folders.contains(where: { $0.title == trimmed && $0.uid != uid }) {
                throw .message(409, "a folder with the same name already exists in the current location")
            }
            folders[index].title = trimmed
        }
        folders[index].version += 1
        folders[index].updated = Date()
        return (folders[index].dto)
    }

    /// `DELETE /api/folders/:uid`: removes its dashboards too; refuses when it holds alert rules
    /// unless `forceDeleteRules=true`.
    mutating func deleteFolder(uid: String, forceDeleteRules: Bool) throws(GrafanaAPIError) -> JSONValue {
        guard let index = folders.firstIndex(where: { $0.uid == uid }) else { throw Self.folderNotFound }
        if rules.contains(where: { $0.folderUID == uid }) {
            guard forceDeleteRules else { throw .message(400, "folder cannot be deleted: folder contains alert rules") }
            rules.removeAll { $0.folderUID == uid }
            groupIntervals = groupIntervals.filter { $0.key.folderUID != uid }
        }
        if dashboards.contains(where: { $0.folderUid == uid && $0.provisioning != nil }) {
            throw .message(400, "folder cannot be deleted: folder contains provisioned dashboards")
        }
        dashboards.removeAll { $0.folderUid == uid }
        let folder = folders.remove(at: index)
        // folder.md: `{"message":"Folder deleted","id":2}`.
        return (.object(["message": .string("Folder deleted"), "id": .int(folder.id)]))
    }

    /// Provisioning: the folder a dashboard provider or an alerting file names, created when missing.
    mutating func ensureFolder(title: String, uid: String?) -> Folder {
        let title = title.isEmpty ? (uid ?? "") : title
        if let uid, !uid.isEmpty, let existing = folder(uid: uid) { return existing }
        if (uid ?? "").isEmpty, let existing = folder(title: title) { return existing }
        let now = Date()
        let folder = Folder(id: allocateID(), uid: (uid ?? "").isEmpty ? generateUID() : uid!, title: title, version: 1, created: now, updated: now)
        folders.append(folder)
        return folder
    }

    // MARK: - Dashboards

    /// `POST /api/dashboards/db`, following Grafana's save rules: uid/id resolve the existing
    /// dashboard; a different `version` is a 412 version-mismatch unless `overwrite`; another
    /// dashboard with the same title in the folder is a 412 name-exists unless `overwrite` (then it
    /// is replaced); provisioned dashboards are refused unless their provider allows UI updates.
    /// `envelope` is the posted body (`{dashboard, folderUid, overwrite, message}`), key order kept.
    mutating func saveDashboard(envelope: JSONDocument, provisioning: DashboardProvisioning? = nil, now: Date = Date()) throws(GrafanaAPIError) -> JSONValue {
        guard envelope.kind == .object, var model = envelope["dashboard"], model.kind == .object else { throw .badRequestData }
        let overwrite = envelope["overwrite"]?.bool ?? false
        let folderUid: String? = {
            if let uid = envelope["folderUid"]?.string, !uid.isEmpty { return uid }
            if let uid = envelope["folderUID"]?.string, !uid.isEmpty { return uid }
            if let id = envelope["folderId"]?.int, id != 0 { return folders.first { $0.id == id }?.uid ?? "#missing-\(id)" }
            return nil
        }()
        if let message = envelope["message"]?.string, message.count > 500 {
            throw .message(400, "message too long, max 500 characters")
        }
        let title = (model["title"]?.string ?? "").trimmingCharacters(in: .whitespaces)
        guard !title.isEmpty else { throw .status(400, "empty-name", "Dashboard title cannot be empty") }
        var uid = model["uid"]?.string ?? ""
        if !uid.isEmpty, let problem = uidProblem(uid) { throw .message(400, problem) }
        let postedID = model["id"]?.int ?? 0
        var version = model["version"]?.int ?? 0
        let tags = (model["tags"]?.elements ?? []).compactMap(\.string)
        if let folderUid, folder(uid: folderUid) == nil { throw .message(400, "folder not found") }

        // Resolve the dashboard being updated, by id and by uid.
        var existingIndex: Int?
        if postedID > 0 {
            guard let index = dashboards.firstIndex(where: { $0.id == postedID }) else {
                throw .status(404, "not-found", "Dashboard not found")
            }
            existingIndex = index
            if uid.isEmpty { uid = dashboards[index].uid }
        }
        if !uid.isEmpty, let byUID = dashboards.firstIndex(where: { $0.uid == uid }) {
            if let existingIndex, existingIndex != byUID { throw .message(400, "A dashboard with the same uid already exists") }
            existingIndex = byUID
        }
        if !uid.isEmpty, existingIndex == nil, folders.contains(where: { $0.uid == uid }) {
            throw .message(400, "A dashboard with the same uid already exists")
        }
        if let index = existingIndex, provisioning == nil {
            if version != dashboards[index].version {
                guard overwrite else {
                    throw .status(412, "version-mismatch", "The dashboard has been changed by someone else")
                }
                version = dashboards[index].version
            }
        }
        // Another dashboard with the same title in the same folder.
        if let sameTitle = dashboards.firstIndex(where: { $0.title == title && $0.folderUid == folderUid && $0.id != existingIndex.map { dashboards[$0].id } })
        {
            // Provisioning never replaces another dashboard; an update that would clash is refused
            // too (Grafana would replace the other dashboard's row: the stand-in refuses instead).
            guard overwrite, provisioning == nil, existingIndex == nil else {
                throw .status(412, "name-exists", "A dashboard with the same name in the folder already exists")
            }
            existingIndex = sameTitle
            uid = dashboards[sameTitle].uid
            version = dashboards[sameTitle].version
        }
        // pkg/services/dashboards/service/dashboard_service.go (BuildSaveDashboardCommand): after the
        // store's version and title checks, a dashboard of a provider that does not allow UI updates
        // refuses API saves (pkg/api/dashboard.go passes !allowUiUpdates as validateProvisionedDashboard).
        if let index = existingIndex, provisioning == nil, let provisioned = dashboards[index].provisioning, !provisioned.allowUiUpdates {
            throw .message(400, "Cannot save provisioned dashboard")
        }

        let saved: Dashboard
        if let index = existingIndex {
            var dashboard = dashboards[index]
            dashboard.version = (provisioning == nil ? version : dashboard.version) + 1
            dashboard.title = title
            dashboard.tags = tags
            dashboard.folderUid = folderUid
            dashboard.updated = now
            if let provisioning { dashboard.provisioning = provisioning }
            Self.stamp(&model, id: dashboard.id, uid: dashboard.uid, version: dashboard.version)
            dashboard.model = model
            dashboards[index] = dashboard
            saved = dashboard
        } else {
            if uid.isEmpty { uid = generateUID() }
            let id = allocateID()
            Self.stamp(&model, id: id, uid: uid, version: 1)
            let dashboard = Dashboard(
                id: id, uid: uid, title: title, tags: tags, folderUid: folderUid, version: 1, model: model,
                created: now, updated: now, provisioning: provisioning)
            dashboards.append(dashboard)
            saved = dashboard
        }
        return .object([
            "id": .int(saved.id), "uid": .string(saved.uid), "url": .string(saved.url), "status": .string("success"),
            "version": .int(saved.version), "slug": .string(saved.slug), "folderUid": .string(saved.folderUid ?? ""),
        ])
    }

    /// Sets the server-owned members of a dashboard model in place (others keep their order).
    private static func stamp(_ model: inout JSONDocument, id: Int, uid: String, version: Int) {
        _ = try? model.set(JSONDocument(id), at: ["id"])
        _ = try? model.set(JSONDocument(uid), at: ["uid"])
        _ = try? model.set(JSONDocument(version), at: ["version"])
    }

    func dashboard(uid: String) -> Dashboard? { dashboards.first { $0.uid == uid } }

    /// `GET /api/dashboards/uid/:uid`: `{dashboard, meta}`, the dashboard as stored.
    func dashboardAnswer(uid: String) throws(GrafanaAPIError) -> (model: JSONDocument, meta: JSONValue) {
        guard let dashboard = dashboard(uid: uid) else { throw .status(404, "not-found", "Dashboard not found") }
        let folder = dashboard.folderUid.flatMap { self.folder(uid: $0) }
        let provisionedReadOnly = dashboard.provisioning.map { !$0.allowUiUpdates } ?? false
        let meta: JSONValue = .object([
            "type": .string("db"), "canSave": .bool(!provisionedReadOnly), "canEdit": .bool(true),
            "canAdmin": .bool(true), "canStar": .bool(true), "canDelete": .bool(dashboard.provisioning == nil),
            "slug": .string(dashboard.slug), "url": .string(dashboard.url), "expires": .string("0001-01-01T00:00:00Z"),
            "created": .string(isoDate(dashboard.created)), "updated": .string(isoDate(dashboard.updated)),
            "updatedBy": .string("admin"), "createdBy": .string("admin"), "version": .int(dashboard.version),
            "hasAcl": .bool(false), "isFolder": .bool(false), "folderId": .int(folder?.id ?? 0),
            "folderUid": .string(folder?.uid ?? ""), "folderTitle": .string(folder?.title ?? "General"),
            "folderUrl": .string(folder?.url ?? ""), "provisioned": .bool(provisionedReadOnly),
            "provisionedExternalId": .string(dashboard.provisioning?.externalId ?? ""),
            "annotationsPermissions": .object([
                "dashboard": .object(["canAdd": .bool(true), "canEdit": .bool(true), "canDelete": .bool(true)]),
                "organization": .object(["canAdd": .bool(true), "canEdit": .bool(true), "canDelete": .bool(true)]),
            ]),
            "publicDashboardEnabled": .bool(false),
        ])
        return (dashboard.model, meta)
    }

    /// `DELETE /api/dashboards/uid/:uid`.
    mutating func deleteDashboard(uid: String) throws(GrafanaAPIError) -> JSONValue {
        guard let index = dashboards.firstIndex(where: { $0.uid == uid }) else {
            throw .status(404, "not-found", "Dashboard not found")
        }
        if dashboards[index].provisioning != nil { throw .message(400, "provisioned dashboard cannot be deleted") }
        let dashboard = dashboards.remove(at: index)
        return
            (.object([
                "title": .string(dashboard.title), "message": .string("Dashboard \(dashboard.title) deleted"),
                "id": .int(dashboard.id), "uid": .string(dashboard.uid),
            ]))
    }

    struct SearchQuery: Sendable {
        var query: String?
        var type: String?
        var folderUIDs: [String] = []
        var dashboardUIDs: [String] = []
        var tags: [String] = []
        var limit: Int?
    }

    /// `GET /api/search`: folders first, then dashboards, each by title.
    func search(_ query: SearchQuery) -> JSONValue {
        let text = query.query?.lowercased() ?? ""
        var hits: [JSONValue] = []
        let wantFolders = query.type == nil || query.type == "dash-folder"
        let wantDashboards = query.type == nil || query.type == "dash-db"
        if wantFolders && query.tags.isEmpty && query.dashboardUIDs.isEmpty {
            for folder in folders.sorted(by: { $0.title.lowercased() < $1.title.lowercased() }) {
                if !text.isEmpty && !folder.title.lowercased().contains(text) { continue }
                // Folders live at the root: they match folderUIDs only through "general".
                if !query.folderUIDs.isEmpty && !query.folderUIDs.contains("general") && !query.folderUIDs.contains("") { continue }
                hits.append(
                    .object([
                        "id": .int(folder.id), "uid": .string(folder.uid), "orgId": .int(1), "title": .string(folder.title),
                        "uri": .string("db/\(slugify(folder.title))"), "url": .string(folder.url), "slug": .string(""),
                        "type": .string("dash-folder"), "tags": .array([]), "isStarred": .bool(false), "sortMeta": .int(0),
                    ]))
            }
        }
        if wantDashboards {
            for dashboard in dashboards.sorted(by: { $0.title.lowercased() < $1.title.lowercased() }) {
                if !text.isEmpty && !dashboard.title.lowercased().contains(text) { continue }
                if !query.dashboardUIDs.isEmpty && !query.dashboardUIDs.contains(dashboard.uid) { continue }
                if !query.tags.allSatisfy({ dashboard.tags.contains($0) }) { continue }
                if !query.folderUIDs.isEmpty {
                    let inRoot = dashboard.folderUid == nil && (query.folderUIDs.contains("general") || query.folderUIDs.contains(""))
                    if !inRoot && !query.folderUIDs.contains(dashboard.folderUid ?? "\u{0}") { continue }
                }
                var hit: [String: JSONValue] = [
                    "id": .int(dashboard.id), "uid": .string(dashboard.uid), "orgId": .int(1), "title": .string(dashboard.title),
                    "uri": .string("db/\(dashboard.slug)"), "url": .string(dashboard.url), "slug": .string(""),
                    "type": .string("dash-db"), "tags": .array(dashboard.tags.map { .string($0) }),
                    "isStarred": .bool(false), "sortMeta": .int(0),
                ]
                if let folder = dashboard.folderUid.flatMap({ self.folder(uid: $0) }) {
                    hit["folderId"] = .int(folder.id)
                    hit["folderUid"] = .string(folder.uid)
                    hit["folderTitle"] = .string(folder.title)
                    hit["folderUrl"] = .string(folder.url)
                }
                hits.append(.object(hit))
            }
        }
        if let limit = query.limit, limit > 0, hits.count > limit { hits = Array(hits.prefix(limit)) }
        return (.array(hits))
    }

    // MARK: - Alert rules

    func listRules() -> JSONValue { .array(rules.map(\.json)) }

    func ruleAnswer(uid: String) throws(GrafanaAPIError) -> JSONValue {
        guard let rule = rules.first(where: { $0.uid == uid }) else { throw .empty(404) }
        return (rule.json)
    }

    /// Validates a `ProvisionedAlertRule` body as Grafana does (400 with a message naming the field).
    private func parseRule(
        _ value: JSONValue?, existing: AlertRule?, provenance: String,
        defaultFolder: String? = nil, defaultGroup: String? = nil
    ) throws(GrafanaAPIError) -> AlertRule {
        guard let fields = value?.objectValue else { throw .badRequestData }
        func invalid(_ reason: String) -> GrafanaAPIError { .message(400, "invalid alert rule: \(reason)") }
        let title = fields["title"]?.stringValue ?? ""
        if title.isEmpty { throw invalid("title is empty") }
        if title.count > 190 { throw invalid("title is longer than 190 characters") }
        let folderUID = fields["folderUID"]?.stringValue ?? defaultFolder ?? ""
        if folderUID.isEmpty { throw invalid("folderUID must be set") }
        if folder(uid: folderUID) == nil { throw invalid("folder does not exist") }
        let group = fields["ruleGroup"]?.stringValue ?? defaultGroup ?? ""
        if group.isEmpty { throw invalid("rule group name must be set") }
        if group.count > 190 { throw invalid("rule group name is longer than 190 characters") }
        let data = fields["data"]?.arrayValue ?? []
        if data.isEmpty { throw invalid("no queries or expressions are found") }
        let refIDs = data.compactMap { $0["refId"]?.stringValue }
        if refIDs.count != data.count { throw invalid("refID is required for every query") }
        let condition = fields["condition"]?.stringValue ?? ""
        if condition.isEmpty { throw invalid("condition must be set") }
        if !refIDs.contains(condition) {
            throw invalid("condition \(condition) does not exist, must be one of [\(refIDs.joined(separator: " "))]")
        }
        for query in data where query["datasourceUid"]?.stringValue == nil {
            throw invalid("datasourceUid is required for query \(query["refId"]?.stringValue ?? "")")
        }
        let noData = fields["noDataState"]?.stringValue ?? "NoData"
        if !["NoData", "Alerting", "OK", "KeepLast"].contains(noData) { throw invalid("unknown NoData state '\(noData)'") }
        let execErr = fields["execErrState"]?.stringValue ?? "Error"
        if !["Error", "Alerting", "OK", "KeepLast"].contains(execErr) { throw invalid("unknown Error state '\(execErr)'") }
        let forText = fields["for"]?.stringValue ?? fields["for"]?.intValue.map { "\($0 / 1_000_000_000)s" } ?? "0s"
        // Grafana parses `for` with Prometheus' model.ParseDuration and answers it as model.Duration
        // prints it ("5m0s" -> "5m", "24h" -> "1d").
        guard let forDuration = PrometheusDuration.parse(forText) else { throw invalid("invalid duration '\(forText)' in 'for'") }
        let uid = fields["uid"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? existing?.uid ?? generateUID()
        if let problem = uidProblem(uid) { throw invalid(problem) }
        func strings(_ key: String) -> [String: String] {
            (fields[key]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
        }
        return AlertRule(
            id: existing?.id ?? 0, uid: uid, folderUID: folderUID, ruleGroup: group, title: title,
            condition: condition, data: data, updated: Date(), noDataState: noData, execErrState: execErr,
            forDuration: PrometheusDuration.format(forDuration), annotations: strings("annotations"), labels: strings("labels"),
            isPaused: fields["isPaused"]?.boolValue ?? false, provenance: provenance,
            notificationSettings: fields["notification_settings"])
    }

    /// Grafana's rule (pkg/services/ngalert/provisioning/validation/provenance.go,
    /// CanUpdateProvenanceInRuleGroup): the same provenance, or a stored rule without provenance, may
    /// always be changed; `X-Disable-Provenance` (none) may reset an `api` rule; everything else
    /// (`file` to anything, `api` to `file`) is refused.
    static func canChangeProvenance(from stored: String, to new: String) -> Bool {
        stored == new || stored.isEmpty || (new.isEmpty && stored == "api")
    }

    /// An update (`PUT` of a rule or of its group) across provenances: Grafana 11's provisioning API
    /// returns the store's plain error, which its API layer answers as 500 Internal Server Error.
    private func checkProvenance(_ rule: AlertRule, newProvenance: String) throws(GrafanaAPIError) {
        guard !Self.canChangeProvenance(from: rule.provenance, to: newProvenance) else { return }
        throw .message(500, "Internal Server Error")
    }

    /// A delete across provenances: 409 `alerting.provenanceMismatch` (Grafana 11).
    private func checkDeleteProvenance(_ rule: AlertRule, newProvenance: String) throws(GrafanaAPIError) {
        guard !Self.canChangeProvenance(from: rule.provenance, to: newProvenance) else { return }
        throw GrafanaAPIError(
            409, "cannot delete with provided provenance '\(newProvenance)', needs '\(rule.provenance)'",
            messageId: "alerting.provenanceMismatch")
    }

    private func checkTitleClash(_ rule: AlertRule) throws(GrafanaAPIError) {
        if rules.contains(where: { $0.uid != rule.uid && $0.folderUID == rule.folderUID && $0.title == rule.title }) {
            throw .message(409, "a conflicting alert rule is found: rule title under the same organisation and folder should be unique")
        }
    }

    /// `POST /api/v1/provisioning/alert-rules`.
    mutating func createRule(body: JSONValue?, provenance: String) throws(GrafanaAPIError) -> JSONValue {
        var rule = try parseRule(body, existing: nil, provenance: provenance)
        if rules.contains(where: { $0.uid == rule.uid }) {
            throw .message(409, "a conflicting alert rule is found: rule UID under the same organisation should be unique")
        }
        try checkTitleClash(rule)
        rule.id = allocateID()
        rules.append(rule)
        let key = RuleGroupKey(folderUID: rule.folderUID, title: rule.ruleGroup)
        if groupIntervals[key] == nil { groupIntervals[key] = 60 }
        return rule.json
    }

    /// `PUT /api/v1/provisioning/alert-rules/:uid`.
    mutating func updateRule(uid: String, body: JSONValue?, provenance: String) throws(GrafanaAPIError) -> JSONValue {
        guard let index = rules.firstIndex(where: { $0.uid == uid }) else { throw .message(404, "rule not found") }
        try checkProvenance(rules[index], newProvenance: provenance)
        var patched = body?.objectValue ?? [:]
        patched["uid"] = .string(uid)
        let rule = try parseRule(.object(patched), existing: rules[index], provenance: provenance)
        try checkTitleClash(rule)
        rules[index] = rule
        let key = RuleGroupKey(folderUID: rule.folderUID, title: rule.ruleGroup)
        if groupIntervals[key] == nil { groupIntervals[key] = 60 }
        return rule.json
    }

    /// `DELETE /api/v1/provisioning/alert-rules/:uid` (204, also when absent, as Grafana).
    mutating func deleteRule(uid: String, provenance: String) throws(GrafanaAPIError) -> JSONValue {
        if let rule = rules.first(where: { $0.uid == uid }) { try checkDeleteProvenance(rule, newProvenance: provenance) }
        rules.removeAll { $0.uid == uid }
        return .null
    }

    private func groupJSON(_ key: RuleGroupKey) -> JSONValue {
        .object([
            "title": .string(key.title), "folderUid": .string(key.folderUID),
            "interval": .int(groupIntervals[key] ?? 60),
            "rules": .array(rules.filter { $0.folderUID == key.folderUID && $0.ruleGroup == key.title }.map(\.json)),
        ])
    }

    /// `GET /api/v1/provisioning/folder/:folderUid/rule-groups/:group`.
    func ruleGroupAnswer(folderUID: String, group: String) throws(GrafanaAPIError) -> JSONValue {
        let key = RuleGroupKey(folderUID: folderUID, title: group)
        guard rules.contains(where: { $0.folderUID == folderUID && $0.ruleGroup == group }) else { throw .empty(404) }
        return (groupJSON(key))
    }

    /// `PUT /api/v1/provisioning/folder/:folderUid/rule-groups/:group`: the group becomes exactly the
    /// posted rules (matched by uid; missing ones are deleted).
    mutating func replaceRuleGroup(folderUID: String, group: String, body: JSONValue?, provenance: String) throws(GrafanaAPIError) -> JSONValue {
        guard let fields = body?.objectValue else { throw .badRequestData }
        guard folder(uid: folderUID) != nil else { throw .message(400, "invalid alert rule: folder does not exist") }
        let interval = fields["interval"]?.intValue ?? 60
        if interval <= 0 || interval % 10 != 0 {
            throw .message(400, "invalid rule group: interval (\(interval)s) should be non-zero and divided exactly by scheduler interval: 10s")
        }
        let key = RuleGroupKey(folderUID: folderUID, title: group)
        let old = rules.filter { $0.folderUID == folderUID && $0.ruleGroup == group }
        for rule in old { try checkProvenance(rule, newProvenance: provenance) }
        var parsed: [AlertRule] = []
        for (position, value) in (fields["rules"]?.arrayValue ?? []).enumerated() {
            var patched = value.objectValue ?? [:]
            patched["folderUID"] = .string(folderUID)
            patched["ruleGroup"] = .string(group)
            let existing = patched["uid"]?.stringValue.flatMap { uid in rules.first { $0.uid == uid } }
            if let existing, existing.folderUID != folderUID || existing.ruleGroup != group {
                try checkProvenance(existing, newProvenance: provenance)
            }
            do {
                parsed.append(try parseRule(.object(patched), existing: existing, provenance: provenance))
            } catch {
                throw .message(400, "invalid rule specification at index [\(position)]: \(error.message)")
            }
        }
        let titles = parsed.map(\.title)
        if Set(titles).count != titles.count {
            throw .message(409, "a conflicting alert rule is found: rule title under the same organisation and folder should be unique")
        }
        let keptUIDs = Set(parsed.map(\.uid))
        rules.removeAll { ($0.folderUID == folderUID && $0.ruleGroup == group && !keptUIDs.contains($0.uid)) }
        for var rule in parsed {
            if let index = rules.firstIndex(where: { $0.uid == rule.uid }) {
                rule.id = rules[index].id
                rules[index] = rule
            } else {
                rule.id = allocateID()
                rules.append(rule)
            }
        }
        groupIntervals[key] = interval
        return (groupJSON(key))
    }

    /// Provisioning: a rule group from alerting/*.yaml (provenance "file"), as Grafana's file
    /// provisioner does (pkg/services/provisioning/alerting/rules_provisioner.go): each rule is
    /// inserted or updated by uid, rules of the group that the file no longer lists are kept (only
    /// `deleteRules` removes them), and the group gets the file's interval. A stored rule whose
    /// provenance cannot become `file` stops provisioning: "cannot change provenance from 'api' to
    /// 'file'" (Grafana exits at start-up; a reload answers 500).
    mutating func provisionRuleGroup(folderUID: String, group: String, interval: Int, rules groupRules: [JSONValue]) throws(GrafanaAPIError) {
        if interval <= 0 || interval % 10 != 0 {
            throw .message(400, "invalid rule group: interval (\(interval)s) should be non-zero and divided exactly by scheduler interval: 10s")
        }
        var parsed: [AlertRule] = []
        for (position, value) in groupRules.enumerated() {
            var patched = value.objectValue ?? [:]
            patched["folderUID"] = .string(folderUID)
            patched["ruleGroup"] = .string(group)
            let existing = patched["uid"]?.stringValue.flatMap { uid in rules.first { $0.uid == uid } }
            if let existing, !Self.canChangeProvenance(from: existing.provenance, to: "file") {
                throw .message(500, "cannot change provenance from '\(existing.provenance)' to 'file'")
            }
            do {
                parsed.append(try parseRule(.object(patched), existing: existing, provenance: "file"))
            } catch {
                throw .message(400, "invalid rule specification at index [\(position)]: \(error.message)")
            }
        }
        for var rule in parsed {
            try checkTitleClash(rule)
            if let index = rules.firstIndex(where: { $0.uid == rule.uid }) {
                rule.id = rules[index].id
                rules[index] = rule
            } else {
                rule.id = allocateID()
                rules.append(rule)
            }
        }
        groupIntervals[RuleGroupKey(folderUID: folderUID, title: group)] = interval
    }

    mutating func deleteProvisionedRule(uid: String) { rules.removeAll { $0.uid == uid } }

    // MARK: - Contact points

    func contactPoints() -> JSONValue {
        (.array([
            .object([
                "uid": .string(""), "name": .string("email receiver"), "type": .string("email"),
                "settings": .object(["addresses": .string("<example@email.com>")]),
                "disableResolveMessage": .bool(false),
            ])
        ]))
    }

    // MARK: - Provisioned dashboards

    /// The dashboards of `provider` whose file (relative path) is no longer in `present`: deleted,
    /// or with `keep` (the provider's `disableDeletion`) only unprovisioned, as Grafana's file reader
    /// does. Answers their titles.
    mutating func removeMissingProvisionedDashboards(provider: String, present: Set<String>, keep: Bool) -> [String] {
        var gone: [String] = []
        for index in dashboards.indices.reversed() {
            guard let provisioning = dashboards[index].provisioning, provisioning.provider == provider,
                !present.contains(provisioning.externalId)
            else { continue }
            gone.append(dashboards[index].title)
            if keep { dashboards[index].provisioning = nil } else { dashboards.remove(at: index) }
        }
        return gone
    }

    /// Saves a dashboard read from a provider's file; throws when Grafana would refuse it too (it
    /// logs and skips such files).
    mutating func provisionDashboard(model: JSONDocument, folderUid: String?, provisioning: DashboardProvisioning, now: Date = Date()) throws(GrafanaAPIError) {
        var members: [(key: String, value: JSONDocument)] = [("dashboard", model), ("overwrite", JSONDocument(true))]
        if let folderUid { members.append(("folderUid", JSONDocument(folderUid))) }
        _ = try saveDashboard(envelope: JSONDocument(object: members), provisioning: provisioning, now: now)
    }
}
