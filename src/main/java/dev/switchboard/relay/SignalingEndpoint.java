package dev.switchboard.relay;

import dev.switchboard.metrics.SignalingMetrics.MessageType;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.Frame;
import dev.switchboard.room.Peer;
import dev.switchboard.room.RoomRegistry;
import dev.switchboard.security.RateLimits;
import io.github.bucket4j.Bucket;
import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The v1 signaling socket: {@code ws://host:port/?roomId=X} (and {@code /ws?roomId=X}). Clients
 * send offer, answer, candidate and control messages; each valid one is relayed to the other
 * members of the room. The wire protocol is described in {@code docs/protocol.md}.
 *
 * <p>Thin by design: decode, delegate to the {@link RoomRegistry}, map failures to replies.
 */
@ServerEndpoint(value = "/", configurator = HandshakeConfigurator.class)
public class SignalingEndpoint {

  private static final Logger LOG = Logger.getLogger(SignalingEndpoint.class.getName());
  private static final Duration RATE_LIMIT_NOTICE_EVERY = Duration.ofSeconds(10);

  private final EndpointContext context;
  private volatile Peer peer;
  private String clientAddress;
  private Bucket messages;
  private long quietUntilNanos; // no second rate-limited notice before this

  public SignalingEndpoint(EndpointContext context) {
    this.context = context;
  }

  /**
   * Unused while {@link HandshakeConfigurator} builds the endpoints, but Open Liberty refuses to
   * deploy an annotated endpoint without a public no-argument constructor.
   */
  public SignalingEndpoint() {
    this(EndpointContext.fromCdi());
  }

  @OnOpen
  public void onOpen(Session session, EndpointConfig endpointConfig) {
    SessionConnection connection =
        new SessionConnection(session, context.config().shutdownCloseCode());
    Object verdict = session.getUserProperties().get(Admission.USER_PROPERTY);
    if (verdict == null) {
      verdict = endpointConfig.getUserProperties().get(Admission.USER_PROPERTY);
    }
    if (verdict instanceof Admission.Refused refused) {
      // Not from inside onOpen: closing while the container is still completing the upgrade has
      // been reported to hang or corrupt Grizzly's request state (tyrus#389, glassfish#20702).
      context.background().execute(() -> connection.close(refused.cause()));
      return;
    }
    Admission.Admitted admitted = (Admission.Admitted) verdict;
    clientAddress = admitted.clientAddress();
    messages = context.limits().connectionBucket();
    quietUntilNanos = System.nanoTime();
    peer = context.registry().open(admitted.roomId(), connection);
  }

  @OnMessage
  public void onText(String text) {
    Peer sender = peer;
    if (sender == null) {
      return;
    }
    if (Frame.exceeds(text, context.config().messageMaxBytes())) {
      // Checked here because Tyrus does not enforce the session's buffer limit on whole messages.
      context.registry().close(sender, CloseCause.MESSAGE_TOO_BIG);
      return;
    }
    RateLimits.Refusal refused =
        context.limits().admitMessage(messages, clientAddress, sender.roomId());
    if (refused != null) {
      rateLimited(sender, refused);
      return;
    }
    try {
      SignalMessage message = context.codec().decode(text);
      context.metrics().received(typeOf(message));
      context.registry().relay(sender, Frame.of(context.codec().encode(message, text.length())));
    } catch (InvalidMessageException e) {
      reject(sender, e);
    }
  }

  /** Binary frames are accepted when they hold UTF-8 JSON, as the original server did. */
  @OnMessage
  public void onBinary(ByteBuffer bytes) {
    Peer sender = peer;
    if (sender == null) {
      return;
    }
    if (bytes.remaining() > context.config().messageMaxBytes()) {
      context.registry().close(sender, CloseCause.MESSAGE_TOO_BIG);
      return;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes)
              .toString();
    } catch (CharacterCodingException e) {
      reject(sender, InvalidMessageException.notJson("binary frame is not UTF-8 text"));
      return;
    }
    onText(text);
  }

  /**
   * Drops the message, counts it, and tells the sender once per window which limit it hit and when
   * to try again. (Tyrus calls one session's handlers one at a time, so the fields need no lock.)
   */
  private void rateLimited(Peer sender, RateLimits.Refusal refused) {
    context.metrics().rateLimited(refused.limit());
    long now = System.nanoTime();
    if (now - quietUntilNanos >= 0) {
      quietUntilNanos = now + RATE_LIMIT_NOTICE_EVERY.toNanos();
      context.registry().reply(sender, Frame.of(context.codec().rateLimited(refused)));
    }
  }

  private static MessageType typeOf(SignalMessage message) {
    if (message instanceof SignalMessage.Offer) {
      return MessageType.OFFER;
    } else if (message instanceof SignalMessage.Answer) {
      return MessageType.ANSWER;
    } else if (message instanceof SignalMessage.Candidate) {
      return MessageType.CANDIDATE;
    }
    return MessageType.CONTROL;
  }

  private void reject(Peer sender, InvalidMessageException e) {
    context.metrics().rejected();
    context.registry().reply(sender, Frame.of(context.codec().rejection(e)));
  }

  @OnMessage
  public void onPong(PongMessage pong) {
    Peer p = peer;
    if (p != null) {
      context.registry().pongReceived(p);
    }
  }

  @OnClose
  public void onClose(Session session, CloseReason reason) {
    Peer p = peer;
    if (p != null) {
      context.registry().leave(p);
    }
  }

  @OnError
  public void onError(Session session, Throwable error) {
    // Broken sockets and invalid UTF-8 in text frames: the container closes the session itself.
    LOG.log(Level.FINE, "WebSocket error", error);
  }
}
