// A minimal client of the v1 protocol: the player offers, the host answers, both trickle ICE
// candidates, and the data channel proves the peer-to-peer path. Both sides say "hello" on open,
// and the player makes its offer once it hears the host, whichever of them joined first.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const roomId = params.get("roomId") || "demo-" + Math.random().toString(36).slice(2, 8);
  const role = params.get("role") === "host" ? "host" : "player";
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(scheme + "//" + location.host + "/?roomId=" + encodeURIComponent(roomId));
  const pc = new RTCPeerConnection({ iceServers: [] });
  let offered = false;
  let helloAnswered = false;
  const earlyCandidates = [];

  document.getElementById("room").textContent = roomId;
  document.getElementById("role").textContent = role;

  function setState(state) {
    document.getElementById("state").textContent = state;
    document.title = "switchboard:" + state;
  }

  function log(line) {
    document.getElementById("log").textContent += line + "\n";
  }

  function send(message) {
    socket.send(JSON.stringify(message));
  }

  function wire(channel) {
    channel.onopen = function () {
      log("data channel open");
      if (role === "host") {
        channel.send("ping");
      }
    };
    channel.onmessage = function (event) {
      log("data channel: " + event.data);
      if (event.data === "ping") {
        channel.send("pong");
        setState("connected");
      } else if (event.data === "pong") {
        setState("connected");
      }
    };
  }

  pc.onicecandidate = function (event) {
    if (event.candidate) {
      send({
        type: "candidate",
        candidate: event.candidate.candidate,
        sdpMid: event.candidate.sdpMid || "0",
        sdpMLineIndex: event.candidate.sdpMLineIndex || 0,
      });
    }
  };

  if (role === "player") {
    wire(pc.createDataChannel("switchboard"));
  } else {
    pc.ondatachannel = function (event) {
      wire(event.channel);
    };
  }

  async function addEarlyCandidates() {
    while (earlyCandidates.length) {
      await pc.addIceCandidate(earlyCandidates.shift());
    }
  }

  async function offer() {
    offered = true;
    setState("offering");
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: "offer", sdp: pc.localDescription.sdp });
  }

  socket.onopen = function () {
    setState("waiting");
    send({ type: "control", action: "hello", payload: { role: role } });
  };

  socket.onmessage = async function (event) {
    const message = JSON.parse(event.data);
    log("received " + message.type + (message.action ? " " + message.action : ""));
    if (message.type === "control" && message.action === "hello") {
      if (role === "player" && !offered) {
        await offer();
      } else if (role === "host" && !helloAnswered) {
        helloAnswered = true;
        send({ type: "control", action: "hello", payload: { role: role } });
      }
    } else if (message.type === "offer" && role === "host") {
      setState("answering");
      await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
      await addEarlyCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      send({ type: "answer", sdp: pc.localDescription.sdp });
    } else if (message.type === "answer" && role === "player") {
      await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      await addEarlyCandidates();
    } else if (message.type === "candidate") {
      const candidate = {
        candidate: message.candidate,
        sdpMid: message.sdpMid,
        sdpMLineIndex: message.sdpMLineIndex,
      };
      if (pc.remoteDescription) {
        await pc.addIceCandidate(candidate);
      } else {
        earlyCandidates.push(candidate);
      }
    } else if (message.type === "peer-disconnected") {
      setState("peer-disconnected");
    }
  };

  socket.onclose = function (event) {
    log("socket closed " + event.code + " " + event.reason);
    if (document.title !== "switchboard:connected") {
      setState("closed");
    }
  };
})();
