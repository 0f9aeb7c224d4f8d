package dev.switchboard.relay;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.server.ServerContainer;
import java.lang.reflect.Field;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives Payara's Tyrus a plain scheduler for its session timers instead of the container's managed
 * one.
 *
 * <p>Why: Tyrus re-arms each session's idle-timeout task on every message, and on Payara that task
 * goes to {@code java:comp/DefaultManagedScheduledExecutorService}, whose context capture runs a
 * service-loader scan over the server's class loaders per task. A JFR profile of the relay at 3,000
 * messages/s put 60 % of the server's CPU samples there. These timers need no application context.
 * Tyrus prefers the managed scheduler it looked up and otherwise uses the one in its {@code
 * scheduledExecutorService} field, so this clears the first and fills the second before any session
 * exists. It also sets the container's default idle timeout to a year when none is set (see the
 * comment where it does). On containers without those fields it does nothing.
 */
@WebListener
public class TyrusSchedulerWorkaround implements ServletContextListener {

  private static final Logger LOG = Logger.getLogger(TyrusSchedulerWorkaround.class.getName());
  private static final int THREADS = 2;
  static final long NO_IDLE_TIMEOUT_MS = TimeUnit.DAYS.toMillis(365);

  private ScheduledThreadPoolExecutor timers;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    Object container = event.getServletContext().getAttribute(ServerContainer.class.getName());
    Field managed = field(container, "managedScheduledExecutorService");
    Field plain = field(container, "scheduledExecutorService");
    if (managed == null || plain == null) {
      return;
    }
    ScheduledThreadPoolExecutor own =
        new ScheduledThreadPoolExecutor(
            THREADS,
            task -> {
              Thread t = new Thread(task, "switchboard-websocket-timers");
              t.setDaemon(true);
              return t;
            });
    // Every message cancels the previous timer: drop cancelled tasks at once.
    own.setRemoveOnCancelPolicy(true);
    try {
      plain.set(container, own);
      managed.set(container, null);
      timers = own;
      // Tyrus re-arms the idle timer on every message even when the idle timeout is 0 (none), and
      // then with a delay of 0: each message handed a task to the timer thread, which ran it at
      // once to find nothing to do. A far deadline is cancelled by the next message instead, with
      // no thread woken. Idle connections are the heartbeat's job; a year is as good as never.
      if (container instanceof ServerContainer server
          && server.getDefaultMaxSessionIdleTimeout() <= 0) {
        server.setDefaultMaxSessionIdleTimeout(NO_IDLE_TIMEOUT_MS);
      }
      LOG.fine("Tyrus session timers run on the application's own scheduler");
    } catch (ReflectiveOperationException | RuntimeException e) {
      own.shutdownNow();
      LOG.log(Level.INFO, "Could not give Tyrus a plain scheduler; relaying costs more CPU", e);
    }
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    if (timers != null) {
      timers.shutdownNow();
    }
  }

  private static Field field(Object container, String name) {
    if (container == null) {
      return null;
    }
    for (Class<?> type = container.getClass(); type != null; type = type.getSuperclass()) {
      try {
        Field field = type.getDeclaredField(name);
        if (!ScheduledExecutorService.class.isAssignableFrom(field.getType())) {
          return null;
        }
        field.setAccessible(true);
        return field;
      } catch (NoSuchFieldException e) {
        // look in the superclass
      } catch (RuntimeException e) {
        return null; // not accessible here
      }
    }
    return null;
  }
}
