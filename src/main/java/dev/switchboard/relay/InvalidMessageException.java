package dev.switchboard.relay;

/**
 * A client message that cannot be relayed. The sender gets a {@code control} message whose action
 * names the kind of problem; the connection stays open.
 */
public final class InvalidMessageException extends RuntimeException {

  /** The {@code action} of the control message the sender receives. */
  public enum Kind {
    /** Valid JSON that breaks the v1 schema (the original server's reply). */
    SCHEMA_ERROR("schema-error"),
    /** Not JSON at all, or a binary frame that is not UTF-8 text. */
    INVALID_JSON("invalid-json");

    private final String action;

    Kind(String action) {
      this.action = action;
    }

    public String action() {
      return action;
    }
  }

  private final Kind kind;

  InvalidMessageException(Kind kind, String detail) {
    super(detail, null, false, false);
    this.kind = kind;
  }

  static InvalidMessageException schema(String detail) {
    return new InvalidMessageException(Kind.SCHEMA_ERROR, detail);
  }

  static InvalidMessageException notJson(String detail) {
    return new InvalidMessageException(Kind.INVALID_JSON, detail);
  }

  public Kind kind() {
    return kind;
  }
}
