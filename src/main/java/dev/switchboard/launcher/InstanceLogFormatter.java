package dev.switchboard.launcher;

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
    String line = delegate.format(record);
    if (line == null || line.isEmpty()) {
      return line;
    }
    if (pretty) {
      return textPrefix + line;
    }
    return line.startsWith("{") ? "{" + jsonField + line.substring(1) : line;
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
