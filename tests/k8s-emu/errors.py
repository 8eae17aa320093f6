"""ApiError: an error answered as a metav1.Status, like the apiserver's."""

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
    415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, kind=None, name=None,
                 causes=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.kind = kind            # a kinds.Kind or None
        self.name = name
        self.causes = causes or []  # schema.Cause list
        self.headers = headers or {}

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {},
              "status": "Failure", "message": self.message,
              "reason": self.reason, "code": self.code}
        details = {}
        if self.name is not None:
            details["name"] = self.name
        if self.kind is not None:
            if self.kind.group:
                details["group"] = self.kind.group
            # NotFound/AlreadyExists/Conflict name the resource (plural);
            # Invalid names the Kind, like the apiserver.
            details["kind"] = self.kind.kind if self.code == 422 else self.kind.plural
        if self.causes:
            details["causes"] = [c.to_json() for c in self.causes]
        if self.code == 429:
            details["retryAfterSeconds"] = int(self.headers.get("Retry-After", "1"))
        if details:
            st["details"] = details
        return st


def not_found(kind, name):
    return ApiError(404, '%s "%s" not found' % (kind.group_resource, name), kind=kind, name=name)


def already_exists(kind, name):
    return ApiError(409, '%s "%s" already exists' % (kind.group_resource, name),
                    reason="AlreadyExists", kind=kind, name=name)


def conflict(kind, name, why="the object has been modified; please apply your "
             "changes to the latest version and try again"):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": %s'
                    % (kind.group_resource, name, why), kind=kind, name=name)


def invalid(kind, name, causes):
    if len(causes) == 1:
        text = causes[0].full()
    else:
        text = "[" + ", ".join(c.full() for c in causes) + "]"
    return ApiError(422, '%s "%s" is invalid: %s' % (kind.qualified_kind, name, text),
                    kind=kind, name=name, causes=causes)


def bad_request(message):
    return ApiError(400, message)
