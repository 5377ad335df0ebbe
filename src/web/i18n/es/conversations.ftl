# Las páginas de conversaciones.
conversations-title = Conversaciones
conversations-replies = { $count ->
    [one] 1 respuesta
   *[other] { $count } respuestas
}
conversations-opted-out-badge = dado de baja
conversations-empty = Todavía no hay respuestas. Cuando alguien conteste a uno de sus mensajes, la conversación aparecerá aquí.
conversations-no-older = No hay conversaciones anteriores.
conversations-their-time = su hora ahora: { $time } ({ $zone })
conversations-all-messages = todos los mensajes a este número
conversations-earlier = Mensajes anteriores
conversations-they-wrote = Le escribieron
conversations-you-sent = Usted envió
conversations-no-text = (sin texto)
conversations-thread-empty = Todavía no hay mensajes con este número.
conversations-reply = Responder
conversations-reply-text = Su respuesta
conversations-reply-hint = Sale por la misma SIM a la que escribieron cuando es posible; las bajas siempre se respetan.
conversations-reply-submit = Enviar respuesta
conversations-reply-accepted = Respuesta aceptada.
conversations-reply-suppressed = No enviado: este número se dio de baja.
conversations-opted-out = Este número se dio de baja el { $when }. Ya no se le envía nada.
conversations-kind-optout = baja
conversations-kind-optin = volvió a darse de alta
conversations-kind-help = pidió ayuda
conversations-kind-join = se suscribió
conversations-kind-consent = dio su consentimiento
conversations-kind-vote = voto
conversations-kind-comment = comentario
conversations-kind-optout_review = revisar (menciona baja)
