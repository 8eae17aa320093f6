"""tfc: an independent tfplugin6 test client for this provider.

Modules, one purpose each:
  proto      compile proto/*.proto with protoc into a temporary directory
             and import the generated messages (never committed)
  mtls       go-plugin's AutoMTLS recipe: the client certificate, and the
             checks go-plugin makes on the server's certificate
  handshake  parse and check the go-plugin handshake line
  plugin     launch the provider as Terraform does, connect with mutual
             TLS over the unix socket, call RPCs, shut it down
  values     DynamicValue msgpack codec (unknowns, refined unknowns)
  schema     tfplugin6 Schema messages -> types and attribute facts
  checker    rules Terraform core (and the plugin framework) enforce on
             provider answers, each citing the source it mirrors
"""
