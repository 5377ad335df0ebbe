# Страница «Настройки».
settings-title = Настройки
settings-intro = С какими настройками работает шлюз. Чтобы их изменить, отредактируйте файл настроек на шлюзе и перезапустите simfleet.
settings-contents = На этой странице
settings-webhooks = Доставка вебхуков
settings-webhook-url = Получатель
settings-state = Состояние
settings-waiting = Ждут
settings-details = Подробности
settings-webhook-failing = Не доставляется
settings-webhook-sending = Доставляется
settings-webhook-ok = Всё доставлено
settings-webhook-tries = { $count ->
    [one] { $n } попытка
    [few] { $n } попытки
   *[other] { $n } попыток
}
settings-webhook-all-delivered = Все события доставлены.
settings-oldest = Самое старое ждёт с { $time }.
settings-next-try = Следующая попытка в { $time }.
settings-no-webhooks = Вебхуки не настроены. Добавьте в настройки таблицу [[webhook]], чтобы получать события в своей системе.
settings-email = Ответы по почте
settings-email-off = Ответы не пересылаются по почте. Добавьте в настройки таблицу [email], чтобы включить пересылку.
settings-email-pending = Ждут
settings-email-retrying = Повторяются
settings-email-sent = Отправлено (7 дней)
settings-email-failed = Не отправлены
settings-email-gave-up = Не отправлен
settings-email-waiting = Ещё не пересланные ответы
settings-email-reply = Ответ
settings-users = Пользователи панели
settings-users-you = вы
settings-users-none = Пароли для панели не заданы; вход — по API-токену.
settings-users-error = Не удаётся прочитать файл пользователей; подробности в журнале шлюза.
settings-users-hint = Чтобы добавить пользователя или сменить пароль, выполните на шлюзе:
settings-config = Файл настроек
settings-config-hint = Секреты (API-токен, PIN-коды SIM-карт, секреты вебхуков, вход в почту) не показываются — видно только, заданы ли они.
settings-secret-set = задан, скрыт
settings-not-set = не задано
settings-section-empty = Ничего не настроено.
settings-section-api = API
settings-section-storage = Хранилище
settings-section-sending = Отправка
settings-section-modems = Модемы
settings-section-optout = Отписки и автоответы
settings-section-audience = Контакты, цены и рассылки
settings-section-public = Публичные страницы (ссылки и форма подписки)
settings-section-webhooks = Вебхуки
settings-section-email = Почта
settings-section-web = Панель управления
