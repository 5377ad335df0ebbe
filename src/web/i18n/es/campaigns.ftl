# Campañas: la lista, el asistente y la página de una campaña.
campaigns-title = Campañas
campaigns-new = Nueva campaña
campaigns-filter-status = Estado
campaigns-all = Todas las campañas
campaigns-filter-apply = Mostrar
campaigns-none-here = Aquí no hay campañas.
campaigns-empty-title = Todavía no hay campañas
campaigns-empty = Una campaña envía un texto (o varios para compararlos) a un grupo de sus contactos, a cada uno a una buena hora según su propio reloj.
campaigns-col-name = Campaña
campaigns-col-status = Estado
campaigns-col-audience = A quién
campaigns-col-when = Cuándo
campaigns-col-progress = Avance
campaigns-col-variant = Variante
campaigns-col-recipients = Destinatarios
campaigns-col-sms = SMS
campaigns-col-cost = Coste
campaigns-col-hour = Hora
campaigns-col-group = Grupo
campaigns-variants-count = { $count ->
    [one] { $count } texto
   *[other] { $count } textos
}
campaigns-ab-short = prueba A/B
campaigns-aud-segment = Segmento «{ $name }»
campaigns-aud-list = { $count ->
    [one] { $count } número de una lista
   *[other] { $count } números de una lista
}
campaigns-aud-filter = Contactos elegidos por condiciones
campaigns-created-at = Creada el { $when }
campaigns-started-at = Iniciada el { $when }
campaigns-finished-at = Terminada el { $when }
campaigns-pages = Páginas
campaigns-newest = Más recientes
campaigns-older = Campañas anteriores
campaigns-status-draft = Borrador
campaigns-status-scheduled = Programada
campaigns-status-running = Enviando
campaigns-status-paused = En pausa
campaigns-status-completed = Terminada
campaigns-status-cancelled = Cancelada
campaigns-back-to-list = ← Todas las campañas
campaigns-wizard-title = Nueva campaña
campaigns-edit-title = Editar «{ $name }»
campaigns-step-audience = A quién
campaigns-step-variants = Textos
campaigns-step-schedule = Cuándo y con qué frecuencia
campaigns-step-review = Revisar e iniciar
campaigns-next = Siguiente
campaigns-back = Atrás
campaigns-save-draft = Guardar como borrador
campaigns-start = Iniciar campaña
campaigns-name = Nombre de la campaña
campaigns-name-example = p. ej., Rebajas de primavera
campaigns-who = Destinatarios
campaigns-kind-segment = Un segmento guardado
campaigns-segment = Segmento
campaigns-choose-segment = Elija un segmento…
campaigns-no-segments = Todavía no tiene segmentos guardados.
campaigns-to-segments = Cree uno en la página Segmentos
campaigns-kind-filter = Contactos que cumplen condiciones
campaigns-filter-hint = Déjelo todo vacío para llegar a todos los contactos que aceptaron recibir mensajes.
campaigns-f-tag = Con la etiqueta
campaigns-f-language = Idioma
campaigns-f-attr = Donde el campo
campaigns-f-attr-any = (cualquier campo)
campaigns-f-value = es igual a
campaigns-kind-list = Una lista de números
campaigns-list = Números de teléfono
campaigns-list-hint = Un número por línea (o separados por comas). Solo lo reciben los contactos que aceptaron recibir mensajes.
campaigns-count-hint = Elija los destinatarios para ver cuántas personas son.
campaigns-count-reach = { $count ->
    [0] Todavía nadie puede recibirla
    [one] { $count } persona puede recibirla
   *[other] { $count } personas pueden recibirla
}
campaigns-count-matched = { $count ->
    [one] Coincide { $count } contacto; quedan fuera:
   *[other] Coinciden { $count } contactos; quedan fuera:
}
campaigns-excl-no-consent = { $count } sin consentimiento.
campaigns-excl-opted-out = { $count } dados de baja.
campaigns-excl-invalid = { $count } con número no válido.
campaigns-count-nobody = Aquí nadie puede recibir mensajes publicitarios: revise el consentimiento de los contactos.
campaigns-count-unreadable = Estos destinatarios no se pueden leer ahora (¿se borró el segmento?).
campaigns-variables-hint = Escriba el texto como lo leerán los destinatarios. {"{{ name }}"} pone el nombre de cada contacto, {"{{ attributes.city }}"} cualquier campo suyo.
campaigns-variant-named = Variante { $name }
campaigns-variant-name = Nombre
campaigns-variant-weight = Proporción (peso)
campaigns-variant-text = Texto
campaigns-remove-variant = Quitar la variante { $name }
campaigns-add-variant = Añadir una variante
campaigns-weight-hint = Las variantes se reparten según su proporción: 1 y 1 es mitad y mitad; 3 y 1, tres cuartos y un cuarto.
campaigns-preview-title = Vista previa
campaigns-preview-loading = La vista previa aparece aquí mientras escribe.
campaigns-preview-empty = Escriba un texto para ver cómo se lee.
campaigns-preview-sample = { $count ->
    [one] Así lo recibirá el primer destinatario:
   *[other] Así lo recibirán los primeros destinatarios (calculado sobre { $count }):
}
campaigns-preview-nobody = Nadie de este público puede recibirla todavía, así que no hay con quién previsualizarla.
campaigns-sms-count = { $count } SMS
campaigns-warn-ucs2 = Por «{ $char }» el texto va en Unicode: 70 caracteres por SMS en vez de 160.
campaigns-warn-replace = Escriba «{ $with }» para que sea más corto.
campaigns-warn-missing = { $count ->
    [one] { $count } destinatario no tiene { $name }: no recibiría nada.
   *[other] { $count } destinatarios no tienen { $name }: no recibirían nada.
}
campaigns-warn-empty = { $count ->
    [one] { $name } está vacío para { $count } destinatario.
   *[other] { $name } está vacío para { $count } destinatarios.
}
campaigns-warn-longer = { $count ->
    [one] { $count } destinatario recibe un texto más largo (más SMS).
   *[other] { $count } destinatarios reciben un texto más largo (más SMS).
}
campaigns-per-message = { $sms } SMS por mensaje, { $cost }
campaigns-variant-estimate = unos { $count } destinatarios, { $sms } SMS
campaigns-estimate-total = En total, unos { $count } mensajes, { $sms } SMS, { $cost }
campaigns-estimate-hint = Estimado con los primeros destinatarios a { $price } por SMS; el último paso lo calcula con exactitud.
campaigns-when = Inicio y fin
campaigns-start-now = Empezar en cuanto pulse Iniciar
campaigns-start-later = Empezar a una hora fijada
campaigns-start-at = Hora de inicio
campaigns-deadline = No enviar después de
campaigns-times-zone = Horas en su zona ({ $zone }).
campaigns-deadline-hint = Sin fin, el envío se detiene { $hours } horas después del inicio.
campaigns-window = Horario de envío
campaigns-window-hint = Según el reloj de cada destinatario: quien esté en otra zona horaria lo recibe de día en su hora, no en la suya.
campaigns-window-from = Desde
campaigns-window-to = Hasta
campaigns-days = Días
campaigns-day-mon = lun
campaigns-day-tue = mar
campaigns-day-wed = mié
campaigns-day-thu = jue
campaigns-day-fri = vie
campaigns-day-sat = sáb
campaigns-day-sun = dom
campaigns-caps = Con qué frecuencia
campaigns-caps-hint = Cuántos mensajes publicitarios suyos recibe como máximo una persona, sumando todas las campañas. Vacío: según la configuración de la pasarela.
campaigns-cap-24h = Como máximo en 24 horas
campaigns-cap-7d = Como máximo en 7 días
campaigns-rate = Mensajes por hora
campaigns-no-limit = sin límite
campaigns-ab = Prueba A/B
campaigns-ab-on = Probar primero las variantes con una parte del público y enviar la ganadora al resto
campaigns-ab-hint = La parte de prueba se reparte entre las variantes según su proporción.
campaigns-ab-share = Parte de prueba (%)
campaigns-ab-metric = Gana la que tenga más
campaigns-metric-reply = respuestas
campaigns-metric-click = clics en el enlace
campaigns-metric-redeem = códigos promocionales usados
campaigns-metric-delivered = entregas
campaigns-ab-after = Elegir la ganadora tras
campaigns-ab-unit = Unidad
campaigns-unit-m = minutos
campaigns-unit-h = horas
campaigns-unit-d = días
campaigns-review-reach = { $count ->
    [one] persona la recibirá si la inicia ahora
   *[other] personas la recibirán si la inicia ahora
}
campaigns-review-left-out = { $count } quedan fuera (sin consentimiento, dados de baja o con número no válido).
campaigns-starts-at = Empieza el { $when }
campaigns-starts-now = Empieza enseguida
campaigns-ends-by = No se envía después del { $when }
campaigns-ends-default = Deja de enviarse { $hours } horas después del inicio
campaigns-window-summary = Entre las { $from } y las { $to } según el reloj de cada destinatario
campaigns-caps-summary = Como máximo { $day } al día y { $week } a la semana por persona
campaigns-rate-summary = Como máximo { $count } mensajes por hora
campaigns-ab-summary = El { $share } de los destinatarios prueba las variantes; la que tenga más { $metric } tras { $after } va al resto.
campaigns-ab-none = Sin prueba: cada destinatario recibe una de las variantes según su proporción.
campaigns-weight-of = proporción { $weight }
campaigns-eta = Cuánto tarda
campaigns-eta-nothing = No hay nada que enviar.
campaigns-eta-no-sims = { $count ->
    [one] Hay { $count } mensaje por enviar, pero ninguna SIM está lista ahora.
   *[other] Hay { $count } mensajes por enviar, pero ninguna SIM está lista ahora.
}
campaigns-eta-partial = Con { $sims } SIM solo pueden salir { $sendable } de { $count } mensajes antes del fin; { $expire } no se enviarían. Dé más tiempo o amplíe el horario de envío.
campaigns-eta-all = { $count ->
    [one] { $count } mensaje, enviando con { $sims } SIM.
   *[other] { $count } mensajes, enviando con { $sims } SIM.
}
campaigns-eta-finish = Todo enviado hacia el { $when }.
campaigns-eta-deadline = Termina el { $when }.
campaigns-limited-by = Lo que marca el ritmo: { $what }.
campaigns-limit-windows = el horario de envío de los destinatarios
campaigns-limit-held = destinatarios retenidos por el límite de frecuencia o la prueba A/B
campaigns-limit-rate_per_hour = el límite de mensajes por hora
campaigns-limit-send_time = la velocidad de los módems
campaigns-limit-per_minute = los límites por minuto de las SIM
campaigns-limit-daily_limit = los límites diarios de las SIM
campaigns-limit-monthly_limit = los límites mensuales de las SIM
campaigns-limit-unique_recipients = los límites de destinatarios nuevos de las SIM
campaigns-cost-title = Coste
campaigns-cost-loading = Calculando el coste para cada destinatario…
campaigns-cost-ab-note = Con prueba A/B el resto recibe la ganadora; aquí se cuenta con la variante que le tocaría a cada uno.
campaigns-cost-links-note = Los clics en los enlaces no se contarán: configure la dirección pública (public.base_url).
campaigns-total = Total
campaigns-progress = Avance
campaigns-draft-note = Esta campaña es un borrador: no se envía nada hasta que la inicie.
campaigns-paused-note = En pausa: no se envía nada más hasta que la reanude.
campaigns-done-share = Proporción de destinatarios atendidos
campaigns-done-of = { $done } de { $count } hechos
campaigns-fig-audience = Destinatarios
campaigns-fig-waiting = En espera
campaigns-fig-queued = En la cola
campaigns-fig-sent = Enviados
campaigns-fig-delivered = Entregados
campaigns-fig-failed = Fallidos
campaigns-fig-unknown = Desconocido
campaigns-fig-excluded = Fuera
campaigns-fig-expired = No enviados a tiempo
campaigns-fig-cancelled = Cancelados
campaigns-fig-replies = Respuestas
campaigns-fig-optouts = Bajas
campaigns-fig-clicks = Clics
campaigns-fig-conversions = Conversiones
campaigns-fig-cost = Coste de { $count } SMS
campaigns-excluded-why = Quedaron fuera:
campaigns-reason-no_consent = sin consentimiento
campaigns-reason-opted_out = dados de baja
campaigns-reason-invalid = número no válido
campaigns-reason-capped = por encima del límite de frecuencia
campaigns-reason-window_missed = su horario no volvió a abrirse a tiempo
campaigns-reason-render_failed = no se pudo preparar su texto
campaigns-by-variant = Por variante
campaigns-edit = Editar borrador
campaigns-pause = Pausar
campaigns-resume = Reanudar
campaigns-cancel = Cancelar campaña
campaigns-confirm-start = ¿Iniciar esta campaña ahora? Los destinatarios quedan fijados al iniciarla.
campaigns-confirm-pause = ¿Pausar esta campaña? No se enviará nada más hasta que la reanude.
campaigns-confirm-cancel = ¿Cancelar esta campaña definitivamente? Lo que no se haya enviado ya no se enviará.
campaigns-about = Qué envía
campaigns-ab-winner = Ganadora: { $name }.
campaigns-ab-not-significant = La diferencia no fue clara, así que se mantuvo la primera variante.
campaigns-ab-waiting = La ganadora se elige cuando termine el tiempo de prueba.
campaigns-results = Resultados
campaigns-chart-time = A lo largo del tiempo
campaigns-chart-variants = Tasas por variante
campaigns-chart-empty = Todavía no se ha enviado nada
campaigns-chart-table = Las cifras por hora
campaigns-last-hours = Las últimas 24 horas con actividad
campaigns-rates-by-variant = Tasas por variante
campaigns-rate-delivery = Entregados
campaigns-rate-reply = Respondieron
campaigns-rate-optout = Se dieron de baja
campaigns-rate-ctr = Hicieron clic
campaigns-rate-conversion = Compraron
campaigns-breakdown = Por grupo de destinatarios
campaigns-breakdown-by = Agrupar por
campaigns-by-variant-opt = Variante
campaigns-by-zone = Zona horaria
campaigns-by-tag = Etiqueta
campaigns-breakdown-empty = Todavía no hay destinatarios que agrupar.
campaigns-breakdown-more = Solo se muestran los primeros 50 grupos.
campaigns-group-none = (sin valor)
campaigns-compare = Comparada con campañas anteriores
campaigns-compare-none = Todavía no hay campañas anteriores con las que comparar.
campaigns-this-one = (esta)
campaigns-err-name = Ponga un nombre a la campaña.
campaigns-err-segment = Elija un segmento guardado u otra forma de elegir los destinatarios.
campaigns-err-attr = Sus contactos no tienen el campo «{ $what }».
campaigns-err-attr-number = «{ $what }» es un número: escriba un número para compararlo.
campaigns-err-attr-bool = «{ $what }» es sí o no: escriba sí o no.
campaigns-err-list = Escriba al menos un número de teléfono.
campaigns-err-kind = Elija quién recibe la campaña.
campaigns-err-no-text = Escriba el texto de al menos una variante.
campaigns-err-weight = La proporción de la variante { $what } debe ser un número entero desde 1.
campaigns-err-time = No se puede leer esta hora: elija una fecha y una hora.
campaigns-err-days = Marque al menos un día de envío.
campaigns-err-number = Escriba un número entero desde 1 o déjelo vacío.
campaigns-err-share = La parte de prueba es un porcentaje entre 1 y 99.
campaigns-err-decide = Indique tras cuánto tiempo elegir la ganadora (un número entero desde 1).
error-invalid_campaign = La campaña no se puede guardar así
error-audience = No se pueden leer los destinatarios
error-empty_audience = Nadie puede recibir esta campaña
error-timing = Las horas no encajan
error-wrong_status = No es posible en este estado
error-render_failed = No se puede preparar el texto
error-call_tracking = El seguimiento de llamadas no está configurado
error-busy = Ya se está guardando
campaigns-after-m = { $count ->
    [one] { $count } minuto
   *[other] { $count } minutos
}
campaigns-after-h = { $count ->
    [one] { $count } hora
   *[other] { $count } horas
}
campaigns-after-d = { $count ->
    [one] { $count } día
   *[other] { $count } días
}
campaigns-breakdown-show = Mostrar las cifras por grupo
campaigns-compare-show = Mostrar la comparación
campaigns-cost-variant-empty = La variante { $name } no llega a nadie: su texto no se puede escribir para ningún destinatario (un campo que usa está vacío para ellos). Corrija el texto o dé al campo un valor por defecto antes de empezar.
