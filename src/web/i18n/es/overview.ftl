# La página de resumen.
overview-title = Resumen
overview-updated = Actualizado { $time }; se actualiza solo.
overview-alerts = Requiere atención
overview-all-well = Todo funciona. No hay nada pendiente.
overview-alert-sim_cooling_down = La SIM de { $modem } está en pausa y por ahora no envía; sus mensajes salen por las otras SIM.
overview-alert-until = Vuelve a enviar a las { $time }.
overview-alert-modem_disconnected = El módem { $modem } está desconectado. Compruebe que esté enchufado.
overview-alert-modem_not_ready = El módem { $modem } no puede enviar: { $state }.
overview-alert-modem_storage_full = La memoria de mensajes de { $modem } está llena: no pueden llegar respuestas. Borre los mensajes guardados (simfleet modem inbox --delete).
overview-alert-storage_full = El disco de la pasarela está lleno ({ $free } MB libres): no se pueden guardar mensajes ni respuestas. Libere espacio cuanto antes.
overview-alert-storage_low = El disco de la pasarela está casi lleno ({ $free } MB libres).
overview-alert-webhook_failing = Su sistema en { $url } no acepta los eventos: { $count ->
    [one] { $n } evento espera
   *[other] { $n } eventos esperan
}.
overview-alert-email_failing = Ahora no se pueden reenviar respuestas por correo: { $count ->
    [one] { $n } respuesta espera
   *[other] { $n } respuestas esperan
}.
overview-alert-optouts_to_review = { $count ->
    [one] { $n } respuesta parece
   *[other] { $n } respuestas parecen
} una petición de no recibir más mensajes.
overview-alert-why = Motivo: { $reason }
overview-see-settings = Ver detalles de entrega
overview-review-now = Revisar ahora
overview-today = Hoy
overview-today-sent = Enviados
overview-today-delivered = Entregados
overview-today-replies = Respuestas
overview-today-optouts = Bajas
overview-since = Desde { $time }.
overview-empty = Todavía no hay mensajes —
overview-empty-send = envíe uno
overview-queue = Cola
overview-queue-queued = Esperando una SIM
overview-queue-scheduled = Programados
overview-queue-sending = Enviándose
overview-queue-unknown = Resultado desconocido
overview-modems = Módems y SIM
overview-modem = Módem
overview-no-modems = Todavía no hay módems. Conecte un módem USB GSM a la pasarela; aparecerá aquí en unos segundos.
overview-state-connecting = Conectando
overview-state-ready = Listo
overview-state-busy = Enviando
overview-state-cooling_down = En pausa
overview-state-no_sim = Sin tarjeta SIM
overview-state-pin_required = Falta el PIN de la SIM
overview-state-not_registered = Sin red
overview-state-disconnected = Desconectado
overview-state-failed = No funciona
overview-state-other = Estado desconocido
overview-signal = Señal
overview-signal-excellent = Excelente
overview-signal-good = Buena
overview-signal-fair = Regular
overview-signal-poor = Débil
overview-signal-none = Aún no se sabe
overview-operator = Operador
overview-sent-today = Enviados hoy
overview-of-limit = { $sent } de { $limit }
overview-no-limit = sin límite diario
overview-warm-up = SIM nueva en calentamiento: día { $day }
overview-month = Este mes
overview-month-left = { $count ->
    [one] queda { $n } parte de mensaje
   *[other] quedan { $n } partes de mensaje
}
overview-month-sent = { $count ->
    [one] { $n } parte de mensaje enviada
   *[other] { $n } partes de mensaje enviadas
}, sin límite mensual
overview-new-recipients-left = { $count ->
    [one] queda { $n } destinatario nuevo
   *[other] quedan { $n } destinatarios nuevos
}
overview-last-error = Último problema: { $error }
