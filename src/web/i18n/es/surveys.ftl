# Encuestas: la lista, el formulario y la página de una encuesta con sus resultados.
surveys-title = Encuestas
surveys-new = Nueva encuesta
surveys-intro = Haga una pregunta por SMS: la gente contesta con el número de una opción y los votos se cuentan a medida que llegan.
surveys-col-question = Pregunta
surveys-col-status = Estado
surveys-col-asked = Enviada a
surveys-col-created = Enviada
surveys-open = Abierta
surveys-closed = Cerrada
surveys-closes-on = cierra el { $when }
surveys-closed-on = cerrada el { $when }
surveys-created-on = enviada el { $when }
surveys-empty = Todavía no hay encuestas: haga una pregunta a sus clientes y vea llegar las respuestas.
surveys-empty-action = Crear la primera encuesta
surveys-no-older = No hay encuestas anteriores.
surveys-pages = Páginas
surveys-newest = Más recientes
surveys-older = Anteriores
surveys-new-title = Nueva encuesta
surveys-new-intro = La pregunta sale enseguida a todos los números de abajo, con las opciones añadidas al texto. Quienes se dieron de baja no la reciben.
surveys-question = Pregunta
surveys-question-hint = Por ejemplo: ¿Vendrá a la jornada de puertas abiertas el viernes?
surveys-options = Respuestas
surveys-options-hint = Cada respuesta tiene un código (lo que la gente responde, como 1 o 2) y un texto. Las filas sin texto se omiten. Al menos dos respuestas.
surveys-option-key = Código { $n }
surveys-option-label = Respuesta { $n }
surveys-add-option = Añadir una respuesta
surveys-recipients = Números a los que preguntar
surveys-recipients-hint = Un número por línea (también separados por comas), en cualquier formato habitual: +34 612 345 678, 612 34 56 78.
surveys-count = Qué voto cuenta
surveys-count-first = Cuenta el primer voto
surveys-count-last = Cuenta el último voto
surveys-closes-at = Cerrar automáticamente (opcional)
surveys-closes-at-hint = En su zona horaria ({ $zone }). Déjelo vacío para cerrarla usted.
surveys-invalid-reply = Respuesta a un mensaje que no es un voto (opcional)
surveys-invalid-reply-hint = Se envía una sola vez a quien no responde con un código, por ejemplo: Responda 1 para Sí o 2 para No.
surveys-send = Enviar la encuesta
surveys-cancel = Cancelar
surveys-back = ← Todas las encuestas
surveys-sent = { $count ->
    [one] La pregunta se envió a { $count } número.
   *[other] La pregunta se envió a { $count } números.
}
surveys-suppressed = { $count ->
    [one] { $count } número se había dado de baja y no la recibió.
   *[other] { $count } números se habían dado de baja y no la recibieron.
}
surveys-results = Resultados
surveys-asked = enviadas
surveys-delivered = entregadas
surveys-responded = respondieron
surveys-comments = otras respuestas
surveys-no-votes = Todavía no hay votos. Aparecerán aquí a medida que lleguen las respuestas.
surveys-no-votes-closed = Nadie votó.
surveys-votes = { $count ->
    [one] { $count } voto
   *[other] { $count } votos
}
surveys-live = Se actualiza sola cada { $secs } segundos.
surveys-final = La encuesta está cerrada: estos son los resultados finales.
surveys-close = Cerrar la encuesta
surveys-close-confirm = ¿Cerrar la encuesta? Los votos que lleguen después no se contarán.
surveys-error-invalid_options = Revise las respuestas
surveys-error-invalid_number = No se puede leer un número
surveys-error-invalid_recipients = Añada al menos un número
surveys-error-too_many_recipients = Demasiados números: una encuesta admite como máximo 100 000
surveys-error-empty_text = Escriba la pregunta
surveys-error-invalid_text = Ese texto no se puede enviar por SMS
surveys-error-too_long = La pregunta es demasiado larga para un SMS
surveys-error-invalid_closes_at = Revise la hora de cierre: debe ser en el futuro
surveys-error-invalid_count = Elija qué voto cuenta
surveys-error-idempotency_conflict = Este formulario ya se envió con otros datos: recargue la página para crear otra encuesta
surveys-error-invalid_idempotency_key = La página estaba desactualizada: recárguela
