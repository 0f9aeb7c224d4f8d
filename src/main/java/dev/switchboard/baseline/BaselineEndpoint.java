package dev.switchboard.baseline;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Relays each text message unchanged to the other sessions that opened the same query string, and
 * does nothing else: no room registry, no validation, no limits, no metrics, no ordering queue.
 * What the signaling relay costs beyond this is the price of its features. (Public: Tyrus calls its
 * methods reflectively.)
 */
public final class BaselineEndpoint extends Endpoint {

  private final ConcurrentHashMap<String, Set<Session>> groups;
  private String key;

  BaselineEndpoint(ConcurrentHashMap<String, Set<Session>> groups) {
    this.groups = groups;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    key = String.valueOf(session.getQueryString());
    Set<Session> members =
        groups.compute(
            key,
            (k, set) -> {
              Set<Session> s = set != null ? set : ConcurrentHashMap.newKeySet();
              s.add(session);
              return s;
            });
    session.addMessageHandler(
        String.class,
        (MessageHandler.Whole<String>)
            text -> {
              for (Session member : members) {
                if (member != session) {
                  member.getAsyncRemote().sendText(text);
                }
              }
            });
  }

  @Override
  public void onError(Session session, Throwable error) {
    java.util.logging.Logger.getLogger("baseline")
        .log(java.util.logging.Level.WARNING, "err", error);
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    groups.computeIfPresent(
        key,
        (k, set) -> {
          set.remove(session);
          return set.isEmpty() ? null : set;
        });
  }
}
