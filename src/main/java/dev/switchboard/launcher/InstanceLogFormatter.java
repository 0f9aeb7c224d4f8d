package dev.switchboard.launcher;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import java.util.logging.Formatter;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * The uber-jar's console log format, named in {@code payara/logging.properties}: Payara's own JSON
 * formatter (one object per line), or its ODL text formatter with {@code PRETTY_LOGS=true}, with
 * this instance's id added to every line, Payara's own lines included.
 *
 * <p>Why a wrapper: Payara's formatters have no setting for a constant field, and a log line that
 * does not say which instance wrote it is of little use once several run behind a load balancer.
 * The wrapper only adds {@code "InstanceId"} (or a {@code [id]} prefix); everything else is
 * Payara's formatting. The instance id is restricted to {@code [A-Za-z0-9_.:-]} at start, so it
 * needs no JSON escaping.
 */
public final class InstanceLogFormatter extends Formatter {

  /** Set by {@link Launcher} from the validated configuration before Payara reads its logging. */
  static final String INSTANCE_PROPERTY = "switchboard.log.instance";

  static final String PRETTY_PROPERTY = "switchboard.log.pretty";
  static final String JSON_FORMATTER = "fish.payara.enterprise.server.logging.JSONLogFormatter";
  static final String TEXT_FORMATTER = "com.sun.enterprise.server.logging.ODLLogFormatter";

  /** Payara's JSON {@code Timestamp}, e.g. {@code 2026-12-07T01:12:51.579+0000}. */
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneId.systemDefault());

  private final Formatter delegate;
  private final boolean pretty;
  private final String jsonField;
  private final String textPrefix;

  public InstanceLogFormatter() {
    this(
        System.getProperty(INSTANCE_PROPERTY, ""),
        Boolean.getBoolean(PRETTY_PROPERTY),
        InstanceLogFormatter::payaraFormatter);
  }

  InstanceLogFormatter(
      String instanceId, boolean pretty, Function<String, Formatter> formatterNamed) {
    this.delegate = formatterNamed.apply(pretty ? TEXT_FORMATTER : JSON_FORMATTER);
    this.pretty = pretty;
    this.jsonField = "\"InstanceId\":\"" + instanceId + "\",";
    this.textPrefix = "[" + instanceId + "] ";
  }

  @Override
  public String format(LogRecord record) {
    String line;
    try {
      line = delegate.format(record);
    } catch (RuntimeException e) {
      // Payara's formatters look up its services for every record. A record logged after Payara
      // shut them down (its own shutdown hook races the others) made them throw: the record was
      // lost and the JDK printed "Error in formatting Logrecord" with a stack trace instead.
      return fallback(record);
    }
    if (line == null || line.isEmpty()) {
      return line;
    }
    if (pretty) {
      return textPrefix + line;
    }
    return line.startsWith("{") ? "{" + jsonField + line.substring(1) : line;
  }

  /**
   * The record in the fields of Payara's JSON format that need no service (or one plain line with
   * {@code PRETTY_LOGS}). Escaped by hand: no JSON library is on the launcher's class path.
   */
  private String fallback(LogRecord record) {
    String message = formatMessage(record);
    if (record.getThrown() != null) {
      message += " " + record.getThrown();
    }
    if (pretty) {
      return textPrefix
          + "["
          + record.getLevel()
          + "] ["
          + record.getLoggerName()
          + "] "
          + message
          + System.lineSeparator();
    }
    return "{"
        + jsonField
        + "\"Timestamp\":\""
        + TIMESTAMP.format(record.getInstant())
        + "\",\"Level\":\""
        + record.getLevel().getName()
        + "\",\"LoggerName\":\""
        + escape(String.valueOf(record.getLoggerName()))
        + "\",\"TimeMillis\":\""
        + record.getMillis()
        + "\",\"LevelValue\":\""
        + record.getLevel().intValue()
        + "\",\"LogMessage\":\""
        + escape(message)
        + "\"}"
        + System.lineSeparator();
  }

  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  @Override
  public String getHead(java.util.logging.Handler handler) {
    return delegate.getHead(handler);
  }

  @Override
  public String getTail(java.util.logging.Handler handler) {
    return delegate.getTail(handler);
  }

  /**
   * Payara's formatters live in its runtime class loader, which is the context class loader while
   * Payara configures logging; this class sits on the jar's own class path.
   */
  private static Formatter payaraFormatter(String className) {
    for (ClassLoader loader :
        new ClassLoader[] {
          Thread.currentThread().getContextClassLoader(),
          LogManager.getLogManager().getClass().getClassLoader(),
          InstanceLogFormatter.class.getClassLoader()
        }) {
      if (loader == null) {
        continue;
      }
      try {
        return (Formatter)
            Class.forName(className, true, loader).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
        // try the next loader
      }
    }
    System.err.println(
        "switchboard: " + className + " is not available; logging in plain text instead");
    return new SimpleFormatter();
  }
}
